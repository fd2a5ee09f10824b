import { type Collection, type Filter, MongoClient, MongoError, MongoServerError } from 'mongodb';
import { registerErrorClassifier, ServerError } from '../../../exception';
import type { FlaggedFilter, FlaggedOrder, RiskVerdict } from '../risk-types';
import type { FlaggedOrderStore, ListRead, UnfinishedCursor, VerdictWork } from './flagged-store';

const DUPLICATE_KEY = 11000;

/**
 * A MongoDB driver failure (no server selected in time, a dropped
 * connection, a server error) is the document store failing: 503 with code
 * 400 for the caller, the driver's message in the log only.
 */
registerErrorClassifier((err) =>
  err instanceof MongoError ? new ServerError('DOCUMENT_STORE_ERROR', { cause: err }) : undefined,
);

/** Flagged orders in MongoDB (official driver), one document per order, collection `flagged_orders`. */
export class MongoFlaggedStore implements FlaggedOrderStore {
  readonly kind = 'mongo' as const;
  private readonly client: MongoClient;
  private collection: Collection<FlaggedOrder> | undefined;

  constructor(
    url: string,
    private readonly collectionName = 'flagged_orders',
  ) {
    // Deadlines of our own unless the URL sets them: a MongoDB that is down or frozen costs a call 3 s at most.
    const inUrl = new URLSearchParams(url.split('?')[1] ?? '');
    const deadlines: Record<string, number> = {};
    for (const key of ['serverSelectionTimeoutMS', 'connectTimeoutMS', 'socketTimeoutMS']) {
      if (!inUrl.has(key)) deadlines[key] = 3000;
    }
    this.client = new MongoClient(url, deadlines);
  }

  private get orders(): Collection<FlaggedOrder> {
    if (!this.collection) {
      // Start-up is still retrying (domains.ts): the caller gets 503 with the MongoDB code, not an internal error.
      throw new ServerError('DOCUMENT_STORE_ERROR', { cause: new Error('MongoDB is not connected yet.') });
    }
    return this.collection;
  }

  /** Answers when MongoDB does (GET /health); throws while start-up has not connected yet. */
  async ping(): Promise<void> {
    if (!this.collection) throw new Error('not connected yet; start-up is retrying');
    await this.client.db().command({ ping: 1 });
  }

  /** Connects and creates the indexes (idempotent; called again while it fails, see domains.ts). */
  async init(): Promise<void> {
    await this.client.connect();
    const collection = this.client.db().collection<FlaggedOrder>(this.collectionName);
    await collection.createIndexes([
      { key: { order_id: 1 }, unique: true, name: 'uk_order_id' },
      { key: { status: 1, flagged_at: -1 }, name: 'idx_status_flagged' },
      { key: { rules: 1, flagged_at: -1 }, name: 'idx_rules_flagged' },
      { key: { status: 1, report_status: 1 }, name: 'idx_unfinished' },
    ]);
    this.collection = collection;
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

  private query(filter: FlaggedFilter): Record<string, unknown> {
    const query: Record<string, unknown> = {};
    if (filter.status) query.status = filter.status;
    if (filter.rule) query.rules = filter.rule;
    return query;
  }

  async list(filter: FlaggedFilter, read: ListRead): Promise<FlaggedOrder[]> {
    const query = this.query(filter);
    if (read.after) {
      // The same order as the sort: flagged_at (an ISO string) then order_id (a decimal string), both descending.
      query.$or = [
        { flagged_at: { $lt: read.after.at } },
        { flagged_at: read.after.at, order_id: { $lt: read.after.id } },
      ];
    }
    return this.orders
      .find(query, { projection: { _id: 0 } })
      .sort({ flagged_at: -1, order_id: -1 })
      .skip(read.offset)
      .limit(read.limit)
      .toArray();
  }

  // async: while MongoDB is not connected, \`orders\` throws; that must reject like list()'s does, not throw
  // beside list()'s rejected promise, which would then go unhandled.
  async count(filter: FlaggedFilter, cap: number): Promise<number> {
    return this.orders.countDocuments(this.query(filter), { limit: cap + 1 });
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

  async unfinished(limit: number, after?: UnfinishedCursor): Promise<FlaggedOrder[]> {
    const unfinished: Filter<FlaggedOrder> = {
      status: 'fraud',
      $or: [{ cs_event_id: null }, { report_status: 'pending' }],
    };
    const past: Filter<FlaggedOrder> | undefined = after && {
      $or: [
        { reviewed_at: { $gt: after.reviewed_at } },
        { reviewed_at: after.reviewed_at, order_id: { $gt: after.order_id } },
      ],
    };
    return this.orders
      .find(past ? { $and: [unfinished, past] } : unfinished, { projection: { _id: 0 } })
      .sort({ reviewed_at: 1, order_id: 1 })
      .limit(limit)
      .toArray();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
