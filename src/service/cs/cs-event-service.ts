import type { Transaction } from 'sequelize';
import type { StatementScope } from '../../core/db/statements';
import { AuthError, UserError } from '../../exception';
import { boundedTotal, encodeCursor, listKey, type PageRequest, resolvePage, TOTAL_CAP } from '../../core/db/keyset';
import { CS_WRITE } from './cs-access';
import type { CsCategoryService } from './cs-category-service';
import {
  creationRecord,
  definedOf,
  deletionRecord,
  type EventChange,
  newEventRow,
  transitionChange,
  updateChange,
} from './cs-event-changes';
import { sameRequestOrConflict } from './cs-request-key';
import type {
  Actor,
  CsEvent,
  CsEventFilter,
  CsEventPatch,
  CsEventRecord,
  CsStatus,
  CsTransition,
  NewCsEvent,
  Page,
  HandlerDirectory,
  TimelinePage,
} from './cs-types';
import { CS_STATUSES, keyScopeOf } from './cs-types';
import type { CsCacheInner } from './inner/cs-cache-inner';
import type { CsEventInner } from './inner/cs-event-inner';
import { type CsListFilter, type ListPlan, planList } from './inner/cs-event-list-inner';

/**
 * Customer-service events: creation, changes along the status rules, the
 * timeline, listing and per-status counts. Every change and its record are
 * one transaction; the event row is locked for the change, so concurrent
 * changes apply one after another on fresh state.
 */
export class CsEventService {
  constructor(
    private readonly events: CsEventInner,
    private readonly cache: CsCacheInner,
    private readonly categories: CsCategoryService,
    /** Checks a new handler; absent, any id is accepted (tests of this class alone). */
    private readonly handlers?: HandlerDirectory,
  ) {}

  /** An event may only be handed to someone who can handle it. */
  private async assertHandler(handlerId: number | undefined, actor: Actor): Promise<void> {
    if (handlerId === undefined || handlerId === actor.id || !this.handlers) return;
    if (!(await this.handlers.holds(handlerId, CS_WRITE))) {
      throw new UserError('CS_HANDLER_INVALID', {
        params: { id: handlerId },
        fields: [{ field: 'handler_id', message: 'not a staff member who can handle events' }],
      });
    }
  }

  /**
   * Creates an event and its first record together; the handler defaults to
   * the creator. A request key is the actor's own (keyScopeOf): a repeat of
   * the same request by the same owner returns the first event, the key with
   * a different request is a 409 (1107), and another owner's same key makes
   * a new one.
   */
  async create(actor: Actor, input: NewCsEvent): Promise<CsEvent> {
    const scope = keyScopeOf(actor);
    if (input.request_key) {
      const existing = await this.events.findByRequestKey(scope, input.request_key);
      if (existing) return sameRequestOrConflict(existing, input, input.request_key);
    }
    if (input.category_id !== null) await this.categories.assertUsable(input.category_id);
    await this.assertHandler(input.handler_id, actor);
    const handler = input.handler_id ?? actor.id;
    try {
      return await this.insertWithRecord(actor, input, handler);
    } catch (err) {
      // Two creates with one request key raced: the loser returns the winner's event.
      if (err instanceof UserError && err.errorName === 'CS_REQUEST_KEY_CONFLICT' && input.request_key) {
        const existing = await this.events.findByRequestKey(scope, input.request_key, undefined, true);
        if (existing) return sameRequestOrConflict(existing, input, input.request_key);
      }
      throw err;
    }
  }

  /**
   * Runs a write that may change the per-status counts: marked as under way
   * in Redis while it runs, so that a count made meanwhile is not cached, and
   * its deltas applied once it committed (with the event's cache entry
   * dropped in the same round trip when `forget` names it). The mark is sent
   * as the write begins and `write` awaits it (`marked`) before its
   * transaction commits: the mark is in place before the change is visible,
   * and its round trip overlaps the transaction's first statements.
   */
  private async counted<T>(
    write: (marked: Promise<unknown>) => Promise<T>,
    deltasOf: (result: T) => Partial<Record<CsStatus, number>>,
    forget?: number,
  ): Promise<T> {
    const began = this.cache.beginWrite();
    let deltas: Partial<Record<CsStatus, number>> = {};
    try {
      const result = await write(began);
      deltas = deltasOf(result);
      return result;
    } finally {
      await this.cache.applyDeltas(deltas, await began, forget);
    }
  }

  private insertWithRecord(actor: Actor, input: NewCsEvent, handler: number): Promise<CsEvent> {
    return this.counted(
      (marked) =>
        this.events.writeTransaction(async (tx) => {
          const created = await this.insertIn(tx, actor, input, handler);
          await marked;
          return created;
        }),
      () => ({ pending: 1 }),
    );
  }

  private async insertIn(tx: StatementScope, actor: Actor, input: NewCsEvent, handler: number): Promise<CsEvent> {
    const at = new Date();
    const created = await this.events.insertEvent(tx, newEventRow(actor, input, handler), at);
    await this.events.insertRecord(tx, creationRecord(actor, input, handler, created.id), at);
    return created;
  }

  /**
   * Creates an event and its first record inside the caller's unit of work,
   * so they commit or roll back with the caller's own writes. The counts are
   * updated once it commits. A failed insert ends its mark at once; after a
   * rollback of the caller's own writes the mark lapses by itself (counts are
   * read from MySQL meanwhile).
   */
  async createWithin(tx: Transaction, actor: Actor, input: NewCsEvent): Promise<CsEvent> {
    if (input.category_id !== null) await this.categories.assertUsable(input.category_id);
    await this.assertHandler(input.handler_id, actor);
    const began = await this.cache.beginWrite();
    let event: CsEvent;
    try {
      event = await this.insertIn(tx, actor, input, input.handler_id ?? actor.id);
    } catch (err) {
      await this.cache.applyDeltas({}, began);
      throw err;
    }
    tx.afterCommit(() => this.cache.applyDeltas({ pending: 1 }, began));
    return event;
  }

  /**
   * One event, from the cache. A miss loads from the primary: misses follow
   * writes, and a replica that lags would otherwise put the old state in the
   * cache for its whole TTL.
   */
  async get(id: number): Promise<CsEvent> {
    const event = await this.cache.getEvent(id, () => this.events.findEvent(id, { primary: true }));
    if (!event) throw new UserError('CS_EVENT_NOT_FOUND', { params: { id } });
    return event;
  }

  /**
   * The event as it is now on the primary: for a caller that just wrote and
   * must see its own write (replicas may lag).
   */
  async getFresh(id: number): Promise<CsEvent> {
    const event = await this.events.findEvent(id, { primary: true });
    if (!event) throw new UserError('CS_EVENT_NOT_FOUND', { params: { id } });
    return event;
  }

  /** Agents change the events they handle; admins change any. */
  private assertMayChange(actor: Actor, event: CsEvent): void {
    if (!actor.admin && event.handler_id !== actor.id) throw new AuthError('AUTH_NOT_HANDLER');
  }

  /**
   * Runs one change of an event under its row lock and writes its record in
   * the same transaction, then refreshes the caches.
   */
  private async change(actor: Actor, id: number, decide: (event: CsEvent) => EventChange): Promise<CsEvent> {
    let from: CsStatus | undefined;
    const write = (marked: Promise<unknown>) =>
      this.events.writeTransaction(async (tx) => {
        const event = await this.events.lockEvent(tx, id);
        if (!event) throw new UserError('CS_EVENT_NOT_FOUND', { params: { id } });
        this.assertMayChange(actor, event);
        from = event.status;
        const { columns, record } = decide(event);
        const at = new Date();
        await this.events.updateEvent(tx, id, columns, at);
        await this.events.insertRecord(tx, { ...record, event_id: id, actor_id: actor.id, via: actor.via ?? '' }, at);
        await marked;
        // The row as the UPDATE left it, without reading it back: the locked row, the columns set, the time.
        return { ...event, ...definedOf(columns), updated_at: at.toISOString() };
      });
    return this.counted(
      write,
      (after) => (from !== undefined && from !== after.status ? { [from]: -1, [after.status]: 1 } : {}),
      id,
    );
  }

  /** Moves an event to another status (see cs-state for the rules); forward checks the new handler first. */
  async transition(actor: Actor, id: number, change: CsTransition): Promise<CsEvent> {
    if (change.to === 'forward') await this.assertHandler(change.handler_id, actor);
    return this.change(actor, id, (event) => transitionChange(event, change));
  }

  /** Changes priority, category, compensation or content; recorded on the timeline. */
  async update(actor: Actor, id: number, patch: CsEventPatch): Promise<CsEvent> {
    if (Object.values(patch).every((v) => v === undefined)) throw new UserError('CS_NOTHING_TO_UPDATE');
    if (patch.category_id !== undefined && patch.category_id !== null)
      await this.categories.assertUsable(patch.category_id);
    return this.change(actor, id, (event) => updateChange(event, patch));
  }

  /** Soft-deletes an event (admins only; the route checks the permission). */
  async remove(actor: Actor, id: number): Promise<void> {
    let status: CsStatus | undefined;
    const write = (marked: Promise<unknown>) =>
      this.events.writeTransaction(async (tx) => {
        const event = await this.events.lockEvent(tx, id);
        if (!event) throw new UserError('CS_EVENT_NOT_FOUND', { params: { id } });
        status = event.status;
        const at = new Date();
        await this.events.insertRecord(tx, deletionRecord(actor, event), at);
        await this.events.softDeleteEvent(tx, id, at);
        await marked;
      });
    await this.counted(write, () => (status ? { [status]: -1 } : {}), id);
  }

  /** The whole timeline of an event, oldest first (GET .../records; long timelines page with `timeline`). */
  async records(id: number): Promise<CsEventRecord[]> {
    await this.get(id);
    return this.events.listRecords(id);
  }

  /**
   * One page of an event's timeline, oldest first: by the record id, read
   * from the (event_id, id) index, so the 10,000th record costs what the
   * first does. Records are only appended, so paging never skips or repeats one.
   */
  async timeline(id: number, request: PageRequest): Promise<TimelinePage> {
    await this.get(id);
    const key = listKey('timeline', { event_id: id });
    const at = resolvePage({ ...request, page: undefined }, key);
    const rows = await this.events.listRecords(id, at.after ? Number(at.after.id) : 0, request.pageSize + 1);
    const items = rows.slice(0, request.pageSize);
    const last = items.at(-1);
    const next =
      rows.length > request.pageSize && last ? encodeCursor(key, { at: last.created_at, id: String(last.id) }) : null;
    return { items, page_size: request.pageSize, next_cursor: next };
  }

  /**
   * One page of the event list: newest update first, or newest created
   * first with a creation-date range; by page number (at most MAX_OFFSET
   * rows deep) or after a cursor. Each page is read in the list's order
   * from an index that serves its filters (planList), so it costs the same
   * at any depth and table size. `total` is exact when it is cheap (the
   * cached per-status counts, or a list of at most TOTAL_CAP rows) and
   * capped otherwise.
   */
  async list(filter: CsEventFilter, request: PageRequest): Promise<Page<CsEvent>> {
    const categoryIds =
      filter.category_id === undefined ? undefined : await this.categories.subtreeIds(filter.category_id);
    const full = { ...filter, category_ids: categoryIds };
    const plan = planList(full);
    const key = listKey(plan.sort, filter);
    const at = resolvePage(request, key);
    const [rows, total] = await Promise.all([
      this.events.lists.read(full, plan, { after: at.after, offset: at.offset, limit: request.pageSize + 1 }),
      this.total(full, plan),
    ]);
    const items = rows.slice(0, request.pageSize);
    const last = items.at(-1);
    const next =
      rows.length > request.pageSize && last ? encodeCursor(key, { at: last[plan.sort], id: String(last.id) }) : null;
    return { items, ...total, page: at.page, page_size: request.pageSize, next_cursor: next };
  }

  /**
   * Exact from the cached per-status counts when the list filters by status
   * alone (or not at all), else counted up to TOTAL_CAP, reading at most
   * COUNT_EXAMINE_CAP rows when some filters are not in the list's index.
   */
  private async total(filter: CsListFilter, plan: ListPlan): Promise<{ total: number; total_is_exact: boolean }> {
    const only = Object.entries(filter).filter(([k, v]) => v !== undefined && k !== 'status');
    if (only.length === 0) {
      const cached = await this.cache.getCounts();
      if ('counts' in cached) {
        const statuses: readonly CsStatus[] = filter.status?.length ? filter.status : CS_STATUSES;
        return { total: statuses.reduce((sum: number, s) => sum + (cached.counts[s] ?? 0), 0), total_is_exact: true };
      }
    }
    const { n, complete } = await this.events.lists.count(filter, plan);
    // Counting stopped at the rows it may read: what it found is a lower bound.
    return complete ? boundedTotal(n) : { total: Math.min(n, TOTAL_CAP), total_is_exact: false };
  }

  /** Live events per status: from Redis, counted in MySQL on a miss or a Redis failure. */
  async stats(): Promise<Record<CsStatus, number>> {
    const cached = await this.cache.getCounts();
    let counts: Record<string, number>;
    if ('counts' in cached) {
      counts = cached.counts;
    } else {
      counts = await this.events.countByStatus();
      if (cached.version !== undefined) await this.cache.storeCounts(cached.version, counts);
    }
    const full = {} as Record<CsStatus, number>;
    for (const status of CS_STATUSES) full[status] = counts[status] ?? 0;
    return full;
  }
}
