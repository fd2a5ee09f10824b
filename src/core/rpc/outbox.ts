import type { Socket } from 'node:net';
import { runOutsideContext } from '../ctx';

/**
 * The replies of one connection waiting to be written. Replies are not
 * written the moment they are encoded: every reply made while the event
 * loop handles the input of its ready connections leaves after it, in its
 * check phase, one write per connection (as Redis writes its clients'
 * replies just before it waits for input again).
 *
 * Under load that lets a turn's replies reach the kernel back to back, while
 * the peers are still awake from the first of them, instead of one
 * write between every two calls' work; a client that sends several calls at
 * once gets their replies in one write. An idle server loses nothing: the
 * check phase follows the poll phase that read the call.
 */
export class Outbox {
  private pending: Buffer[] = [];

  constructor(private readonly socket: Socket) {}

  /** Queues a reply (the outbox keeps it: pass a buffer no one else writes to). */
  push(reply: Buffer): void {
    if (this.pending.push(reply) === 1) schedule(this);
  }

  /** Writes what is waiting, in one write; nothing once the socket is gone or ended. */
  send(): void {
    const { pending } = this;
    if (pending.length === 0) return;
    this.pending = [];
    if (!this.socket.writable) return;
    this.socket.write(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending));
  }

  /** Forgets what is waiting (the connection is being dropped). */
  drop(): void {
    this.pending = [];
  }

  /** Drops the connection (after a send that failed: what was waiting is gone already). */
  abandon(): void {
    this.socket.destroy();
  }
}

let waiting: Outbox[] = [];
let scheduled = false;

function sendAll(): void {
  scheduled = false;
  const outboxes = waiting;
  waiting = [];
  for (const outbox of outboxes) {
    try {
      outbox.send();
    } catch {
      // Not expected (a failed write is reported through the socket's 'error' event), but one
      // connection's fault must not leave the others' replies waiting: drop that connection only.
      outbox.abandon();
    }
  }
}

function schedule(outbox: Outbox): void {
  waiting.push(outbox);
  if (scheduled) return;
  scheduled = true;
  // Outside the context of the call that happens to queue first: the writes belong to no one call.
  runOutsideContext(() => setImmediate(sendAll));
}
