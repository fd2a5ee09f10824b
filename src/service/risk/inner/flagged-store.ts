import type { KeysetPosition } from '../../../core/db/keyset';
import type { FlaggedFilter, FlaggedOrder, RiskVerdict } from '../risk-types';

/** One read of the list: `limit` orders after `after` (flagged_at, order_id), or after skipping `offset`. */
export interface ListRead {
  after?: KeysetPosition | undefined;
  offset: number;
  limit: number;
}

/** Where the reconcile walk stopped: the last verdict it visited. */
export interface UnfinishedCursor {
  reviewed_at: string;
  order_id: string;
}

/** The rest of a fraud verdict's unit of work, run with the store's transaction when it has one. */
export type VerdictWork = (tx: unknown) => Promise<{ cs_event_id: number | null }>;

/**
 * Where flagged orders live: MongoDB (the official driver) when `mongo.url`
 * is set, else MySQL (a JSON column). Both pass the same contract tests.
 */
export interface FlaggedOrderStore {
  readonly kind: 'mysql' | 'mongo';
  /** Creates indexes / checks the table; called at start, and again until it succeeds. */
  init(): Promise<void>;
  /** Answers when the store's server does (GET /health). */
  ping(): Promise<void>;
  /** Stores the order unless it is already there; true when it was new. */
  insertIfAbsent(doc: FlaggedOrder): Promise<boolean>;
  /** One order; `primary` reads what this process just wrote (not a replica that may lag). */
  get(orderId: string, options?: { primary?: boolean }): Promise<FlaggedOrder | undefined>;
  /** Orders newest flagged first (flagged_at DESC, order_id DESC), read in that order from an index. */
  list(filter: FlaggedFilter, read: ListRead): Promise<FlaggedOrder[]>;
  /** How many orders match, counted up to `cap` + 1 at most. */
  count(filter: FlaggedFilter, cap: number): Promise<number>;
  /**
   * Judges a pending order and runs `work` in the same unit of work: with
   * MySQL one transaction (work gets it), with MongoDB the verdict first and
   * then `work` (the scan's reconcile step finishes what a crash left).
   * Returns false when the order is not pending any more (nothing changed).
   */
  judge(
    orderId: string,
    verdict: RiskVerdict,
    review: { reviewer_id: number; note: string },
    work: VerdictWork,
  ): Promise<boolean>;
  /** Records the cs event of a fraud verdict (the MongoDB path and reconcile). */
  setEvent(orderId: string, csEventId: number): Promise<void>;
  setReportStatus(orderId: string, status: FlaggedOrder['report_status']): Promise<void>;
  /**
   * Fraud verdicts whose event or report is unfinished, for the reconcile
   * step, ordered by (reviewed_at, order_id) and starting after `after`:
   * reconcile walks them all over successive runs instead of always taking
   * the oldest (which may stay unfinished for good, a report parked as failed).
   */
  unfinished(limit: number, after?: UnfinishedCursor): Promise<FlaggedOrder[]>;
  close(): Promise<void>;
}
