import { OrderPage, ZeusUserException } from '../../../thrift/gen-nodejs/zeus_types';
import { toIdlOrder } from '../zeus-convert';
import type { ZeusOrder } from '../zeus-types';
import { compareOrders } from './fixtures';

const MAX_LIMIT = 1000;

/**
 * The stub zeus's orders and zeus's cursor contract over them: orders sorted
 * by (created_at, id); the cursor is the id of the last order returned ('' =
 * from the beginning); next_cursor is the cursor given when nothing is new.
 */
export class StubOrders {
  private orders: ZeusOrder[];

  constructor(orders: readonly ZeusOrder[]) {
    this.orders = [...orders].sort(compareOrders);
  }

  /**
   * Appends orders, as if they had just been created. They must sort after
   * every order already there, as new orders do: an order inserted before the
   * cursor of a reader would never reach it.
   */
  add(orders: readonly ZeusOrder[]): void {
    const last = this.orders[this.orders.length - 1];
    for (const order of orders) {
      if (this.orders.some((o) => o.id === order.id)) throw new Error(`Order ${order.id} is already in the stub.`);
      if (last && compareOrders(order, last) <= 0) {
        throw new Error(
          `Order ${order.id} would sort before order ${last.id}; new orders must be newer than every order there.`,
        );
      }
    }
    this.orders = [...this.orders, ...orders].sort(compareOrders);
  }

  /** The page after `cursor`; ZeusUserException 400 for a bad limit or an unknown cursor. */
  page(cursor: string, limit: number): OrderPage {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new ZeusUserException({ code: 400, message: `limit must be between 1 and ${MAX_LIMIT}, not ${limit}.` });
    }
    let start = 0;
    if (cursor !== '') {
      const at = this.orders.findIndex((o) => o.id === cursor);
      if (at < 0) throw new ZeusUserException({ code: 400, message: `Cursor ${cursor} is not an order id.` });
      start = at + 1;
    }
    const page = this.orders.slice(start, start + limit);
    const last = page[page.length - 1];
    return new OrderPage({ orders: page.map(toIdlOrder), next_cursor: last ? last.id : cursor });
  }

  /** One order; ZeusUserException 404 when there is none with that id. */
  find(id: string): ZeusOrder {
    const order = this.orders.find((o) => o.id === id);
    if (!order) throw new ZeusUserException({ code: 404, message: `Order ${id} does not exist.` });
    return order;
  }
}
