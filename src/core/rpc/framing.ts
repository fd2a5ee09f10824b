/** How a connection's transport and protocol are told from its first bytes. */

export const BINARY_MARK = 0x80;
export const BINARY_VERSION = 0x01;
export const COMPACT_MARK = 0x82;

/** The transport and protocol a connection speaks, chosen from its first bytes. */
export interface Framing {
  framed: boolean;
  protocol: 'binary' | 'compact';
  /** Apache Thrift's header transport (THeader): each frame names its protocol and carries headers. */
  header?: true;
}

/** The second word of a THeader frame, after its length. */
const HEADER_MAGIC_HI = 0x0f;
const HEADER_MAGIC_LO = 0xff;

/**
 * Decides framing and protocol from the first bytes of a connection:
 * unframed binary starts with 0x80 0x01 (strict version word), unframed
 * compact with 0x82, a framed message with a 4-byte length followed by one of
 * those marks. Returns `pending` until enough bytes are in, `garbage` for
 * anything else.
 */
export function detectFraming(head: Buffer): Framing | 'pending' | 'garbage' {
  if (head.length === 0) return 'pending';
  const first = head[0] as number;
  if (first === BINARY_MARK) {
    if (head.length < 2) return 'pending';
    return head[1] === BINARY_VERSION ? { framed: false, protocol: 'binary' } : 'garbage';
  }
  if (first === COMPACT_MARK) return { framed: false, protocol: 'compact' };
  if (head.length < 5) return 'pending';
  const mark = head[4];
  if (mark === HEADER_MAGIC_HI) {
    if (head.length < 6) return 'pending';
    return head[5] === HEADER_MAGIC_LO ? { framed: true, protocol: 'binary', header: true } : 'garbage';
  }
  if (mark === BINARY_MARK) return { framed: true, protocol: 'binary' };
  if (mark === COMPACT_MARK) return { framed: true, protocol: 'compact' };
  return 'garbage';
}
