import { escalatedPriority } from './cs-state';
import { CS_MAX_PRIORITY } from './cs-types';
import type { CsCacheInner } from './inner/cs-cache-inner';
import type { CsEventInner } from './inner/cs-event-inner';
import type { CsReportInner, ReportRow } from './inner/cs-report-inner';

/** The system actor of timed jobs. */
const SYSTEM = 0;
const BATCH = 200;
/** Events escalated in one transaction. */
const TX_EVENTS = 25;
/**
 * Events one escalation run changes at most, and the time it spends at most
 * (its job's timeout is 50 s): each change is a short transaction, 2-20 ms
 * on a busy disk.
 */
export const ESCALATE_MAX_PER_RUN = 1000;
export const ESCALATE_BUDGET_MS = 30_000;

/** The UTC instants at which a calendar day starts and ends in a time zone. */
export function zonedDayBounds(day: string, timeZone: string): { from: Date; to: Date } {
  const offsetAt = (utc: Date): number => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(utc);
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return asUtc - utc.getTime();
  };
  const start = (d: string): Date => {
    const naive = new Date(`${d}T00:00:00.000Z`);
    return new Date(naive.getTime() - offsetAt(naive));
  };
  const next = new Date(`${day}T00:00:00.000Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return { from: start(day), to: start(next.toISOString().slice(0, 10)) };
}

/** The calendar day before `now` in a time zone, as YYYY-MM-DD. */
export function previousDay(now: Date, timeZone: string): string {
  const today = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
  const d = new Date(`${today}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** What timed jobs do to customer-service events. */
export class CsMaintenanceService {
  constructor(
    private readonly events: CsEventInner,
    private readonly cache: CsCacheInner,
    private readonly reports: CsReportInner,
  ) {}

  /**
   * Raises the priority of each event not done and untouched for `staleMs`
   * by one step, with a record on its timeline. The change touches the
   * event, so it is escalated again only after another full period, however
   * often this runs; the staleness is re-checked under the row lock, so
   * overlapping runs cannot escalate one event twice.
   *
   * The stale events are walked oldest first in keyset batches of BATCH
   * (findStale reads a batch of index entries, whatever the table's size),
   * changed TX_EVENTS to a transaction: no lock is held longer than one
   * group's changes and memory holds one batch. A run escalates at most
   * `maxPerRun` events, or for ESCALATE_BUDGET_MS, and stops there; the next run goes on with the
   * oldest still stale, so a backlog drains over a few runs and each run
   * ends well within its interval.
   */
  async escalateStale(
    now: Date,
    staleMs: number,
    maxPerRun = ESCALATE_MAX_PER_RUN,
  ): Promise<{ escalated: number; more: boolean }> {
    const cutoff = new Date(now.getTime() - staleMs);
    let escalated = 0;
    let after: { updated_at: string; id: number } | undefined;
    const stopAt = Date.now() + ESCALATE_BUDGET_MS;
    for (;;) {
      const batch = await this.events.findStale(cutoff, CS_MAX_PRIORITY, BATCH, after);
      for (let i = 0; i < batch.length; i += TX_EVENTS) {
        const room = maxPerRun - escalated;
        if (room <= 0 || Date.now() >= stopAt) return { escalated, more: true };
        escalated += await this.escalateSome(
          batch.slice(i, i + Math.min(TX_EVENTS, room)).map((e) => e.id),
          cutoff,
        );
      }
      const last = batch.at(-1);
      if (batch.length < BATCH || !last) return { escalated, more: false };
      after = last;
    }
  }

  /**
   * Escalates up to TX_EVENTS events in one transaction: each is locked and
   * re-checked, then changed with its record. One commit for the group
   * instead of one per event (a commit waits for the disk, and the creates
   * beside the job wait behind it); the locks last one group's changes.
   */
  private async escalateSome(ids: number[], cutoff: Date): Promise<number> {
    const changed = await this.events.writeTransaction(async (tx) => {
      const done: number[] = [];
      const at = new Date();
      for (const id of ids) {
        const event = await this.events.lockEvent(tx, id);
        const touched = event && new Date(event.updated_at);
        if (!event || !touched || touched >= cutoff || event.status === 'done' || event.priority >= CS_MAX_PRIORITY)
          continue;
        const priority = escalatedPriority(event.priority);
        await this.events.updateEvent(tx, id, { priority }, at);
        await this.events.insertRecord(
          tx,
          {
            event_id: id,
            actor_id: SYSTEM,
            action: 'escalate',
            from_status: event.status,
            to_status: event.status,
            handler_id: event.handler_id,
            content: `priority ${event.priority} -> ${priority}: untouched since ${touched.toISOString()}`,
          },
          at,
        );
        done.push(id);
      }
      return done;
    });
    for (const id of changed) await this.cache.forgetEvent(id);
    return changed.length;
  }

  /** Writes the per-status and per-category counts of `day` once; false when that day already has a report. */
  async writeDailyReport(day: string, timeZone: string): Promise<{ day: string; written: boolean; rows: ReportRow[] }> {
    const { from, to } = zonedDayBounds(day, timeZone);
    const rows = await this.reports.countCreated(from, to);
    const written = await this.reports.writeOnce(day, rows);
    return { day, written, rows: written ? rows : await this.reports.read(day) };
  }
}
