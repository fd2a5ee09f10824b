import { logger } from '../../core/log';
import type { ZeusApi, ZeusOrder } from '../../../thirdparty/zeus/zeus-types';
import type { FlaggedOrderStore } from './inner/flagged-store';
import type { RiskScanInner } from './inner/risk-scan-inner';
import { applyRules, RISK_RULES } from './risk-rules';
import type { FlaggedOrder } from './risk-types';
import type { RiskReviewService } from './risk-review-service';

export interface ScanResult {
  pages: number;
  orders: number;
  flagged: number;
  cursor: string;
  /** True when another scan moved the cursor first and this one stopped. */
  yielded: boolean;
}

function toFlagged(order: ZeusOrder, hits: FlaggedOrder['hits'], now: Date): FlaggedOrder {
  return {
    order_id: order.id,
    order: {
      user_id: order.user_id,
      phone: order.phone,
      restaurant_id: order.restaurant_id,
      amount_cents: order.amount_cents,
      created_at: order.created_at.toISOString(),
      status: order.status,
      refund_count: order.refund_count,
      user_registered_at: order.user_registered_at.toISOString(),
    },
    hits,
    rules: hits.map((h) => h.rule),
    status: 'pending',
    flagged_at: now.toISOString(),
    reviewed_at: null,
    reviewer_id: null,
    note: null,
    cs_event_id: null,
    report_status: 'none',
  };
}

/**
 * Reads new orders from zeus from the cursor, applies the rules and stores
 * each flagged order once. The cursor moves only after the page's store
 * writes, so a failure (zeus down, the breaker open) is retried from where it
 * stopped and nothing is skipped; a re-read page stores nothing twice.
 */
export class RiskScanService {
  constructor(
    private readonly zeus: ZeusApi,
    private readonly store: FlaggedOrderStore,
    private readonly scan: RiskScanInner,
    private readonly review: RiskReviewService,
    private readonly options: { pageSize: number; maxPages: number },
  ) {}

  async run(now = new Date()): Promise<ScanResult> {
    const result: ScanResult = { pages: 0, orders: 0, flagged: 0, cursor: await this.scan.cursor(), yielded: false };
    while (result.pages < this.options.maxPages) {
      const page = await this.zeus.listOrdersSince(result.cursor, this.options.pageSize);
      result.pages += 1;
      for (const order of page.orders) {
        result.orders += 1;
        const recent = await this.scan.countPhoneWindow(
          order.phone,
          order.id,
          order.created_at,
          RISK_RULES.phone_burst.windowMs,
        );
        const hits = applyRules(order, recent);
        if (hits.length > 0 && (await this.store.insertIfAbsent(toFlagged(order, hits, now)))) result.flagged += 1;
      }
      if (page.orders.length === 0 || page.next_cursor === result.cursor) break;
      if (!(await this.scan.advance(result.cursor, page.next_cursor))) {
        result.yielded = true;
        logger.info('another scan moved the cursor first; stopping this one', { cursor: result.cursor });
        break;
      }
      result.cursor = page.next_cursor;
    }
    await this.review.reconcile();
    return result;
  }
}
