import { escalatedPriority } from './cs-state';
import { CS_MAX_PRIORITY } from './cs-types';
import type { CsCacheInner } from './inner/cs-cache-inner';
import type { CsEventInner } from './inner/cs-event-inner';
import type { CsReportInner, ReportRow } from './inner/cs-report-inner';

/** The system actor of timed jobs. */
const SYSTEM = 0;
const BATCH = 200;

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
   */
  async escalateStale(now: Date, staleMs: number): Promise<{ escalated: number }> {
    const cutoff = new Date(now.getTime() - staleMs);
    let escalated = 0;
    for (;;) {
      const ids = await this.events.findStaleIds(cutoff, CS_MAX_PRIORITY, BATCH);
      for (const id of ids) {
        const done = await this.events.transaction(async (tx) => {
          const event = await this.events.findEvent(id, { tx, lock: true });
          const touched = event && new Date(event.updated_at);
          if (!event || !touched || touched >= cutoff || event.status === 'done' || event.priority >= CS_MAX_PRIORITY)
            return false;
          const priority = escalatedPriority(event.priority);
          await this.events.updateEvent(tx, id, { priority });
          await this.events.insertRecord(tx, {
            event_id: id,
            actor_id: SYSTEM,
            action: 'escalate',
            from_status: event.status,
            to_status: event.status,
            handler_id: event.handler_id,
            content: `priority ${event.priority} -> ${priority}: untouched since ${touched.toISOString()}`,
          });
          return true;
        });
        if (done) {
          escalated += 1;
          await this.cache.forgetEvent(id);
        }
      }
      if (ids.length < BATCH) return { escalated };
    }
  }

  /** Writes the per-status and per-category counts of `day` once; false when that day already has a report. */
  async writeDailyReport(day: string, timeZone: string): Promise<{ day: string; written: boolean; rows: ReportRow[] }> {
    const { from, to } = zonedDayBounds(day, timeZone);
    const rows = await this.reports.countCreated(from, to);
    const written = await this.reports.writeOnce(day, rows);
    return { day, written, rows: written ? rows : await this.reports.read(day) };
  }
}
