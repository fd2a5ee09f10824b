import { z } from 'zod';
import { cidrList, host, port, section } from './schema-parts';

/**
 * The configuration of the Thrift door (`thrift`): its listener, framing and
 * protocol limits, per-connection bounds, TLS and who may call what.
 */

export const thriftSection = section({
  enabled: z.boolean().default(true).describe('Serve the Thrift door; off for an HTTP-only host.'),
  host: host.default('127.0.0.1').describe('Address the Thrift server binds.'),
  port: port.default(9090).describe('Thrift port; 0 picks a free one.'),
  max_frame_bytes: z
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024)
    .describe(
      'Largest accepted Thrift message, and so the most one connection holds for a message still arriving; a larger one closes its connection.',
    ),
  max_buffered_bytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024)
    .describe(
      'The most all Thrift connections together hold for messages still arriving; a message that would pass it closes its connection and is counted.',
    ),
  read_timeout_ms: z
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe('How long a Thrift message may take to arrive once its first byte is in; 0 turns the deadline off.'),
  first_byte_timeout_ms: z
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe(
      'A new Thrift connection that sends no byte for this long is closed (a pool that opens connections ahead of use reconnects); 0 turns it off.',
    ),
  idle_timeout_ms: z
    .number()
    .int()
    .min(0)
    .default(300_000)
    .describe('A Thrift connection with no byte either way for this long is closed; 0 keeps idle connections.'),
  call_deadline_ms: z
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe(
      "The deadline of one Thrift call as its outgoing calls see it: a sibling service's client never retries or waits past it. 0: none.",
    ),
  max_connections: z
    .number()
    .int()
    .min(1)
    .default(512)
    .describe(
      'Open Thrift connections at most; at the cap the oldest connection that has sent no byte makes room, or a new one is closed at once and counted.',
    ),
  max_connections_per_address: z
    .number()
    .int()
    .min(1)
    .default(128)
    .describe(
      "Open Thrift connections from one client address at most; at the cap that address's oldest silent connection makes room, or a new one is closed.",
    ),
  max_struct_fields: z
    .number()
    .int()
    .min(16)
    .default(1024)
    .describe('Fields one struct of a Thrift request may carry, unknown ones included; more closes the connection.'),
  max_message_values: z
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe(
      'Values (fields and collection elements) one Thrift request may carry; more closes the connection. Bounds the time one message takes to decode.',
    ),
  max_depth: z
    .number()
    .int()
    .min(4)
    .max(64)
    .default(64)
    .describe('Nesting of structs and collections one Thrift request may have; deeper closes the connection.'),
  allowed_networks: cidrList().default([]).describe('Client networks (CIDR) allowed to connect; empty allows all.'),
  tls: section({
    key: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('PEM private key file of the Thrift port; with cert, the port speaks TLS only.'),
    cert: z.string().min(1).nullable().default(null).describe('PEM certificate (chain) file of the Thrift port.'),
    ca: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('PEM file of the CAs whose client certificates identify callers; null trusts none.'),
    require_client_cert: z
      .boolean()
      .default(false)
      .describe('Mutual TLS: refuse a client without a certificate signed by thrift.tls.ca.'),
  }),
  max_in_flight: z
    .number()
    .int()
    .min(0)
    .default(64)
    .describe(
      'Thrift calls served at once; one more is answered ServerException 102 (OVERLOADED) at once instead of queueing. ping and hello are never shed. 0: no limit.',
    ),
  caller_max_in_flight: z
    .number()
    .int()
    .min(0)
    .default(32)
    .describe(
      "Thrift calls served at once for one caller (its name as thrift.callers knows it, else its address); one more is that caller's ServerException 102 while others are served. 0: no limit.",
    ),
  callers: z
    .record(z.string().min(1), z.array(z.string().min(1)))
    .nullable()
    .default(null)
    .describe(
      'Which caller may call which methods ("*" for all): keys are a TLS client certificate CN, else the name from THeader or hello. null lets anyone call anything.',
    ),
});
