import path from 'node:path';
import { z } from 'zod';

/** What a host runs: the HTTP door (web), the Thrift door (rpc), the queue worker (worker). */
export const ROLES = ['web', 'rpc', 'worker'] as const;
export type Role = (typeof ROLES)[number];

/** How one role is restarted and health-gated on its hosts. */
const roleSchema = z.strictObject({
  restart_command: z.string().min(1).optional().describe("Restarts this role's process on the host."),
  health_url: z
    .string()
    .optional()
    .describe("The role's /health as seen from the host; empty: no URL, the process must keep running instead."),
  running_command: z.string().optional().describe("Exits non-zero once the role's process has died."),
});
export type RoleSettings = z.infer<typeof roleSchema>;

/** The settings of one environment (deploy/environments.ts), each with its default and its doc. */
export const environmentSchema = z.strictObject({
  hosts: z
    .array(
      z.union([z.string().min(1), z.strictObject({ host: z.string().min(1), roles: z.array(z.enum(ROLES)).min(1) })]),
    )
    .min(1)
    .describe(
      'Hosts, as OpenSSH takes them: an alias of ~/.ssh/config, host, user@host or user@host:port; or ' +
        "{ host, roles } for a host that runs only some of 'web', 'rpc', 'worker' (a bare name runs all three).",
    ),
  roles: z
    .strictObject({ web: roleSchema.optional(), rpc: roleSchema.optional(), worker: roleSchema.optional() })
    .default({})
    .describe(
      'Per role, how a host of that role is restarted and health-gated (docs/deploy.md gives the defaults); ' +
        'used for hosts listed with roles.',
    ),
  deploy_to: z
    .string()
    .startsWith('/')
    // It is written unquoted into the systemd units (ExecStart splits at spaces) and into sed's replacement.
    .regex(/^[\w./-]+$/, 'use letters, digits and . _ / - only (the path goes into the systemd units as it is)')
    .default('/srv/tandem')
    .describe('Where releases/, shared/ and current live.'),
  keep_releases: z.number().int().min(2).default(5).describe('Releases kept on each host (the current one always).'),
  batch: z.number().int().min(1).default(1).describe('Hosts switched at once; the next batch waits for their health.'),
  health_url: z
    .string()
    .url()
    .default('http://127.0.0.1:8000/health')
    .describe("The host's /health as seen from the host itself."),
  health_timeout_ms: z
    .number()
    .int()
    .min(1000)
    .default(60_000)
    .describe('How long a switched host has to report the new release healthy before it is rolled back.'),
  restart_command: z
    .string()
    .min(1)
    .default(
      'sudo -n systemctl reload-or-restart tandem-server.service && sudo -n systemctl restart tandem-worker.service',
    )
    .describe(
      'Run on the host (in deploy_to) after `current` is switched; the server reloads without a gap when it runs. ' +
        'Without systemd: bash current/deploy/service.sh restart.',
    ),
  running_command: z
    .string()
    .optional()
    .describe(
      'Run on the host (in deploy_to) while waiting for health; exits non-zero once the server has died, which ' +
        'puts the host back at once. Default: systemctl is-active for the default restart_command, service.sh ' +
        'status for service.sh; empty: no check (the wait lasts health_timeout_ms).',
    ),
  log_command: z
    .string()
    .min(1)
    .default('sudo -n journalctl -u tandem-server.service -n 40 --no-pager')
    .describe("Prints the tail of the server's log on the host, for a failed health check."),
  migrate: z.boolean().default(true).describe("Run the new release's migrations on the first host before any switch."),
  npm_cache: z
    .string()
    .default('')
    .describe('npm cache directory on the hosts; empty uses deploy_to/shared/npm-cache.'),
  npm_flags: z.array(z.string()).default([]).describe('Extra flags of npm ci on the hosts, e.g. ["--offline"].'),
  ssh_config: z.string().default('').describe('An ssh config file to use instead of ~/.ssh/config (ssh -F).'),
  ssh_options: z.array(z.string()).default([]).describe('Extra ssh options, e.g. ["-o", "ConnectTimeout=5"].'),
  service_user: z.string().min(1).default('tandem').describe('The user the systemd units run as (setup).'),
  env: z.enum(['dev', 'test', 'prod']).optional().describe("The env of a new host's config.ts (setup); the name's."),
});

export type EnvironmentSettings = z.infer<typeof environmentSchema>;
export type EnvironmentInput = z.input<typeof environmentSchema>;

/** Reads the environments file (a module whose default export maps names to settings). */
export function loadEnvironments(file: string): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the settings file is chosen at run time
  const loaded = require(path.resolve(file)) as { default?: Record<string, unknown> } & Record<string, unknown>;
  return loaded.default ?? loaded;
}

/** One environment's settings, validated; a bad key is an error naming it. */
export function environmentSettings(all: Record<string, unknown>, name: string, file: string): EnvironmentSettings {
  const raw = all[name];
  if (raw === undefined) {
    throw new Error(`There is no environment "${name}" in ${file}; it has: ${Object.keys(all).join(', ') || 'none'}.`);
  }
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${name}.${i.path.join('.')}: ${i.message}`);
    throw new Error(`The settings of environment "${name}" in ${file} are invalid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
