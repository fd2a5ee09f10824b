import { z } from 'zod';
import { hostPortText } from './host-port';
import { host, port, section } from './schema-parts';

/**
 * The configuration of the stores: MySQL/MariaDB with its replicas (`mysql`),
 * Redis alone or behind Sentinel (`redis`), and MongoDB (`mongo`).
 */

export const mysqlSection = section({
  host: host.default('127.0.0.1').describe('MySQL/MariaDB primary host.'),
  port: port.default(3306).describe('MySQL/MariaDB primary port.'),
  user: z.string().default('root').describe('MySQL user.'),
  password: z.string().default('').describe('MySQL password (a secret: keep it out of git).'),
  database: z.string().min(1).default('tandem').describe('Database name.'),
  replicas: z
    .array(hostPortText({ defaultPort: 3306 }))
    .default([])
    .describe('Read replicas as host:port (port 3306 when left out, IPv6 in brackets); empty reads from the primary.'),
  pool_max: z.number().int().min(1).default(10).describe('Most connections per pool.'),
  pool_min: z.number().int().min(0).default(0).describe('Fewest connections kept per pool.'),
  pool_idle_ms: z.number().int().min(0).default(10000).describe('Idle time before a pooled connection is closed.'),
  pool_acquire_ms: z
    .number()
    .int()
    .min(0)
    .default(5000)
    .describe('Longest wait for a pooled connection before the request fails.'),
  query_timeout_ms: z
    .number()
    .int()
    .min(0)
    .default(5000)
    .describe('Longest wait for one query (and for a connection handshake); 0 waits forever.'),
  replica_out_ms: z
    .number()
    .int()
    .min(100)
    .default(30000)
    .describe('How long a replica that failed is left out before reads try it again.'),
  schema_check: z
    .enum(['refuse', 'warn', 'off'])
    .default('warn')
    .describe(
      "At start, a database behind the code's migrations refuses the start, is warned about, or is not checked.",
    ),
});

export const redisSection = section({
  url: z.string().default('redis://127.0.0.1:6379/0').describe('Redis URL.'),
  key_prefix: z.string().default('tandem:').describe('Prefix of every key we write.'),
  command_timeout_ms: z.number().int().min(1).default(1000).describe('Longest wait for one Redis command.'),
  sentinels: z
    .array(hostPortText())
    .default([])
    .describe(
      "Redis Sentinels as host:port (IPv6 in brackets; comma-separated in the variable); when set, the primary is asked of them and redis.url's host and port are ignored (its password and db still apply).",
    ),
  sentinel_name: z.string().min(1).default('mymaster').describe('The primary group name the Sentinels watch.'),
  sentinel_password: z.string().default('').describe("The Sentinels' own password (requirepass); empty: none."),
  wait_replicas: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'Replicas that must acknowledge a session creation, a tick claim and an enqueue (WAIT) before it counts; 0: no wait.',
    ),
  wait_timeout_ms: z
    .number()
    .int()
    .min(1)
    .default(500)
    .describe('Longest wait for those acknowledgements; a write short of them counts as failed.'),
});

export const mongoSection = section({
  url: z.string().default('').describe('MongoDB URL; set it to store suspicious orders in MongoDB, empty uses MySQL.'),
});
