import { type Collection, MongoClient, MongoServerError } from 'mongodb';
import type { FlaggedFilter, FlaggedOrder, RiskVerdict } from '../risk-types';
import type { FlaggedOrderStore, VerdictWork } from './flagged-store';

const DUPLICATE_KEY = 11000;

/** Flagged orders in MongoDB (official driver), one document per order, collection `flagged_orders`. */
export class MongoFlaggedStore implements FlaggedOrderStore {
  readonly kind = 'mongo' as const;
  private readonly client: MongoClient;
  private collection: Collection<FlaggedOrder> | undefined;

  constructor(
    url: string,
    private readonly collectionName = 'flagged_orders',
  ) {
    this.client = new MongoClient(url, { serverSelectionTimeoutMS: 3000, connectTimeoutMS: 3000 });
  }

  private get orders(): Collection<FlaggedOrder> {
    if (!this.collection) throw new Error('MongoFlaggedStore.init() was not called.');
    return this.collection;
  }

  /** Connects and creates the indexes (idempotent). */
  async init(): Promise<void> {
    await this.client.connect();
    this.collection = this.client.db().collection<FlaggedOrder>(this.collectionName);
    await this.collection.createIndexes([
      { key: { order_id: 1 }, unique: true, name: 'uk_order_id' },
      { key: { status: 1, flagged_at: -1 }, name: 'idx_status_flagged' },
      { key: { rules: 1, flagged_at: -1 }, name: 'idx_rules_flagged' },
      { key: { status: 1, report_status: 1 }, name: 'idx_unfinished' },
    ]);
  }

  async insertIfAbsent(doc: FlaggedOrder): Promise<boolean> {
    try {
      const result = await this.orders.updateOne({ order_id: doc.order_id }, { $setOnInsert: doc }, { upsert: true });
      return result.upsertedCount === 1;
    } catch (err) {
      // Two upserts of one new order can race on the unique index: the loser did not insert.
      if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return false;
      throw err;
    }
  }

  /** Reads go to the replica set's primary (the driver's default), so `primary` needs nothing more. */
  async get(orderId: string): Promise<FlaggedOrder | undefined> {
    const found = await this.orders.findOne({ order_id: orderId }, { projection: { _id: 0 } });
    return found ?? undefined;
  }

  async list(filter: FlaggedFilter, page: number, pageSize: number): Promise<{ items: FlaggedOrder[]; total: number }> {
    const query: Record<string, unknown> = {};
    if (filter.status) query.status = filter.status;
    if (filter.rule) query.rules = filter.rule;
    const [items, total] = await Promise.all([
      this.orders
        .find(query, { projection: { _id: 0 } })
        .sort({ flagged_at: -1, order_id: -1 })
        .skip((page - 1) * pageSize)
        .limit(pageSize)
        .toArray(),
      this.orders.countDocuments(query),
    ]);
    return { items, total };
  }

  async judge(
    orderId: string,
    verdict: RiskVerdict,
    review: { reviewer_id: number; note: string },
    work: VerdictWork,
  ): Promise<boolean> {
    const result = await this.orders.updateOne(
      { order_id: orderId, status: 'pending' },
      {
        $set: {
          status: verdict,
          reviewed_at: new Date().toISOString(),
          reviewer_id: review.reviewer_id,
          note: review.note,
          report_status: verdict === 'fraud' ? 'pending' : 'none',
        },
      },
    );
    if (result.modifiedCount !== 1) return false;
    const { cs_event_id } = await work(undefined);
    if (cs_event_id !== null) await this.setEvent(orderId, cs_event_id);
    return true;
  }

  async setEvent(orderId: string, csEventId: number): Promise<void> {
    await this.orders.updateOne({ order_id: orderId }, { $set: { cs_event_id: csEventId } });
  }

  async setReportStatus(orderId: string, status: FlaggedOrder['report_status']): Promise<void> {
    await this.orders.updateOne({ order_id: orderId }, { $set: { report_status: status } });
  }

  async unfinished(limit: number): Promise<FlaggedOrder[]> {
    return this.orders
      .find({ status: 'fraud', $or: [{ cs_event_id: null }, { report_status: 'pending' }] }, { projection: { _id: 0 } })
      .sort({ reviewed_at: 1 })
      .limit(limit)
      .toArray();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
