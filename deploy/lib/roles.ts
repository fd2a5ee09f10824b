import type { EnvironmentSettings, Role, RoleSettings } from './settings';
import { ROLES } from './settings';

/**
 * Roles per host: a host listed with `roles` (web, rpc, worker) is restarted
 * and health-gated for those roles only. The web role is the HTTP door (the
 * server unit, its /health on the HTTP port); rpc the Thrift door (the same
 * server unit with `http.enabled: false` in the host's config.ts, so its
 * /health is on the metrics port); worker the queue worker (its own unit, no
 * HTTP: its gate is that the process keeps running). A host listed by name
 * alone runs all three and keeps the environment's own commands.
 */
const SERVER_RUNNING = 'systemctl is-active --quiet tandem-server.service';
const ROLE_DEFAULTS: Record<Role, Required<RoleSettings>> = {
  web: {
    restart_command: 'sudo -n systemctl reload-or-restart tandem-server.service',
    health_url: 'http://127.0.0.1:8000/health',
    running_command: SERVER_RUNNING,
  },
  rpc: {
    restart_command: 'sudo -n systemctl reload-or-restart tandem-server.service',
    health_url: 'http://127.0.0.1:9464/health',
    running_command: SERVER_RUNNING,
  },
  worker: {
    restart_command: 'sudo -n systemctl restart tandem-worker.service',
    health_url: '',
    running_command: 'systemctl is-active --quiet tandem-worker.service',
  },
};

/** What the health wait is given for "no URL": the process must keep running for a while instead. */
export const NO_HEALTH_URL = '-';

/** The restart and health gate of a host: the environment's own, or its roles'. */
export interface HostGate {
  restart_command: string;
  /** A /health URL, or NO_HEALTH_URL for a host without one (worker only). */
  health_url: string;
  /** Exits non-zero once the gated process has died; '' for no check; undefined: derived from restart_command. */
  running_command: string | undefined;
}

export function roleSettings(settings: EnvironmentSettings, role: Role): Required<RoleSettings> {
  return { ...ROLE_DEFAULTS[role], ...settings.roles[role] };
}

/** The roles a host name was given in the environment's settings, or undefined for all. */
export function rolesOf(settings: EnvironmentSettings, name: string): Role[] | undefined {
  for (const entry of settings.hosts) {
    if (typeof entry !== 'string' && entry.host === name) return ROLES.filter((r) => entry.roles.includes(r));
  }
  return undefined;
}

/** The names of the environment's hosts, in order. */
export function hostNames(settings: EnvironmentSettings): string[] {
  return settings.hosts.map((entry) => (typeof entry === 'string' ? entry : entry.host));
}

/**
 * The gate of a host with these roles: each role's restart command once (web
 * and rpc share the server's), and the health of its HTTP-facing role — web's
 * URL, else rpc's — else the worker's: running for a while. Without roles, the
 * environment's restart_command, health_url and running_command.
 */
export function hostGate(settings: EnvironmentSettings, roles: Role[] | undefined): HostGate {
  if (!roles) {
    return {
      restart_command: settings.restart_command,
      health_url: settings.health_url,
      running_command: settings.running_command,
    };
  }
  const each = roles.map((role) => roleSettings(settings, role));
  const restarts = [...new Set(each.map((r) => r.restart_command))];
  const gated = each.find((r) => r.health_url !== '') ?? each[0];
  return {
    restart_command: restarts.join(' && '),
    health_url: gated && gated.health_url !== '' ? gated.health_url : NO_HEALTH_URL,
    running_command: gated?.running_command ?? '',
  };
}
