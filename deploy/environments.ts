import type { EnvironmentInput } from './lib/settings';

/**
 * Where `npm run deploy -- ENV` ships to: one entry an environment. Every
 * key but `hosts` has a default (deploy/lib/settings.ts says each, and
 * docs/deploy.md explains them). Hosts are anything OpenSSH accepts, so an
 * alias in ~/.ssh/config brings its user, port, key and ProxyJump along.
 * Secrets never go here: each host keeps its own shared/config.ts. A host
 * may run only some roles, e.g. { host: 'tandem-rpc-1', roles: ['rpc'] }
 * (docs/deploy.md, "Roles per host"); a bare name runs all of them.
 */
const environments: Record<string, EnvironmentInput> = {
  dev: {
    hosts: ['tandem-dev-1'],
  },
  prod: {
    hosts: ['tandem-1', 'tandem-2'],
    batch: 1,
    keep_releases: 5,
  },
};

export default environments;
