import type { Transaction } from 'sequelize';
import type { Queues, QueueDef } from '../../core/async';
import { logger } from '../../core/log';
import { UserError } from '../../exception';
import type { ZeusApi } from '../../../thirdparty/zeus/zeus-types';
import type { CsDomain } from '../cs';
import type { Actor, Page } from '../cs/cs-types';
import { boundedTotal, encodeCursor, listKey, type PageRequest, resolvePage, TOTAL_CAP } from '../../core/db/keyset';
import type { FlaggedOrderStore, UnfinishedCursor } from './inner/flagged-store';
import type { RiskReportJob } from './risk-queue';
import type { FlaggedFilter, FlaggedOrder, RiskVerdict } from './risk-types';

const FRAUD_CATEGORY = 'fraud';
/** Verdicts one reconcile run visits at most; `reconcileBatch` in the options overrides it (tests). */
const RECONCILE_BATCH = 100;
/** The owner of the fraud events' request keys: the review and a later reconcile (by any actor) find one event. */
const RISK_KEY_SCOPE = 'system:risk';

/**
 * Order ids are decimal integers, so '007' and '7' name one order. Every key
 * built from an id (the event's request key, the report job's id) uses the
 * canonical form, or the same verdict could be keyed, and reported, twice.
 */
function canonicalOrderId(orderId: string): string {
  return /^\d+$/.test(orderId) ? BigInt(orderId).toString() : orderId;
}

function eventContent(order: FlaggedOrder, note: string): string {
  const rules = order.hits.map((h) => `${h.rule}: ${h.evidence}`).join('; ');
  return `Order ${order.order_id} judged fraud. Rules: ${rules}.${note ? ` Reviewer note: ${note}` : ''}`;
}

/**
 * Reviewers' verdicts on flagged orders. A fraud verdict opens a
 * customer-service event (category fraud) in the same unit of work as the
 * verdict and queues a job that reports it to zeus.
 */
export class RiskReviewService {
  /** Where the reconcile walk goes on from (this process's own walk; undefined: from the oldest). */
  private reconcileFrom: UnfinishedCursor | undefined;

  constructor(
    private readonly store: FlaggedOrderStore,
    private readonly cs: CsDomain,
    private readonly queues: Queues,
    private readonly reportQueue: QueueDef<RiskReportJob>,
    private readonly zeus: ZeusApi,
  ) {}

  async get(orderId: string, options: { primary?: boolean } = {}): Promise<FlaggedOrder> {
    const id = canonicalOrderId(orderId);
    const found = await this.store.get(id, options);
    if (!found) throw new UserError('RISK_ORDER_NOT_FOUND', { params: { order_id: id } });
    return found;
  }

  /**
   * One page of flagged orders, newest flagged first: by page number (at
   * most MAX_OFFSET rows deep) or after a cursor, read in order from an
   * index; `total` is counted up to TOTAL_CAP.
   */
  async list(filter: FlaggedFilter, request: PageRequest): Promise<Page<FlaggedOrder>> {
    const key = listKey('flagged_at', filter);
    const at = resolvePage(request, key);
    const [rows, counted] = await Promise.all([
      this.store.list(filter, { after: at.after, offset: at.offset, limit: request.pageSize + 1 }),
      this.store.count(filter, TOTAL_CAP),
    ]);
    const items = rows.slice(0, request.pageSize);
    const last = items.at(-1);
    const next =
      rows.length > request.pageSize && last ? encodeCursor(key, { at: last.flagged_at, id: last.order_id }) : null;
    return { items, ...boundedTotal(counted), page: at.page, page_size: request.pageSize, next_cursor: next };
  }

  private eventInput(order: FlaggedOrder, categoryId: number, note: string) {
    return {
      user_id: Number.isSafeInteger(Number(order.order.user_id)) ? Number(order.order.user_id) : null,
      user_type: 'user' as const,
      phone: order.order.phone.slice(0, 32),
      order_id: order.order_id,
      source: 'others' as const,
      category_id: categoryId,
      priority: 2,
      compensation: 0,
      content: eventContent(order, note),
      request_key: `risk:${order.order_id}`,
    };
  }

  /** Judges a pending order; judging it again is a 409. */
  async review(actor: Actor, rawOrderId: string, verdict: RiskVerdict, note: string): Promise<FlaggedOrder> {
    const order = await this.get(rawOrderId);
    const orderId = order.order_id;
    if (order.status !== 'pending') {
      throw new UserError('RISK_ALREADY_REVIEWED', { params: { order_id: orderId, verdict: order.status } });
    }
    const categoryId = verdict === 'fraud' ? await this.cs.categories.ensureTopLevel(FRAUD_CATEGORY) : 0;
    const judged = await this.store.judge(orderId, verdict, { reviewer_id: actor.id, note }, async (tx) => {
      if (verdict !== 'fraud') return { cs_event_id: null };
      const input = this.eventInput(order, categoryId, note);
      const event = tx
        ? await this.cs.events.createWithin(tx as Transaction, { ...actor, keyScope: RISK_KEY_SCOPE }, input)
        : await this.cs.events.create({ ...actor, keyScope: RISK_KEY_SCOPE }, input);
      return { cs_event_id: event.id };
    });
    if (!judged) {
      const now = await this.get(orderId, { primary: true });
      throw new UserError('RISK_ALREADY_REVIEWED', { params: { order_id: orderId, verdict: now.status } });
    }
    if (verdict === 'fraud') await this.enqueueReportOrDefer(orderId, note);
    // Just judged: read it back from the primary, not a replica that may still say pending.
    return this.get(orderId, { primary: true });
  }

  /** The verdict is saved: a queue outage must not fail the reviewer; the scan's reconcile queues the report later. */
  private async enqueueReportOrDefer(orderId: string, reason: string): Promise<void> {
    try {
      await this.enqueueReport(orderId, reason);
    } catch (err) {
      logger.warn('could not queue the report of a fraud verdict; the next scan queues it', {
        order_id: orderId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private async enqueueReport(orderId: string, reason: string): Promise<void> {
    await this.queues.enqueue(
      this.reportQueue,
      { order_id: orderId, reason: reason || 'judged fraud by a reviewer' },
      { key: `risk-report:${orderId}` },
    );
  }

  /** The queue job: tells zeus, then marks the report done. Throws (and is retried) while zeus fails. */
  async report(job: RiskReportJob): Promise<void> {
    await this.zeus.reportSuspicious(job.order_id, 'fraud', job.reason);
    await this.store.setReportStatus(job.order_id, 'reported');
  }

  /**
   * Finishes fraud verdicts a crash left half done: opens the missing event
   * (its request key makes this idempotent) and queues the missing report
   * (its job id does). Run by each scan.
   */
  async reconcile(): Promise<number> {
    const pending = await this.store.unfinished(RECONCILE_BATCH, this.reconcileFrom);
    // The next run goes on after the last one seen, and starts over once the walk reaches the end:
    // every unfinished verdict is visited, however many stay unfinished for good.
    const last = pending.at(-1);
    this.reconcileFrom =
      pending.length < RECONCILE_BATCH || !last?.reviewed_at
        ? undefined
        : { reviewed_at: last.reviewed_at, order_id: last.order_id };
    // Looked up once per run, and only when an event is missing; a failed lookup is retried by the next order.
    let categoryId: number | undefined;
    for (const order of pending) {
      try {
        if (order.cs_event_id === null) {
          categoryId ??= await this.cs.categories.ensureTopLevel(FRAUD_CATEGORY);
          const event = await this.cs.events.create(
            { id: order.reviewer_id ?? 0, admin: false, keyScope: RISK_KEY_SCOPE },
            this.eventInput(order, categoryId, order.note ?? ''),
          );
          await this.store.setEvent(order.order_id, event.id);
        }
        if (order.report_status === 'pending') await this.enqueueReport(order.order_id, order.note ?? '');
      } catch (err) {
        logger.warn('could not finish a fraud verdict; the next scan tries again', {
          order_id: order.order_id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    return pending.length;
  }
}
