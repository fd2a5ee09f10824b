import type { EnvironmentInput } from './lib/settings';

/**
 * Where `npm run deploy -- ENV` ships to: one entry an environment. Every
 * key but `hosts` has a default (deploy/lib/settings.ts says each, and
 * docs/deploy.md explains them). Hosts are anything OpenSSH accepts, so an
 * alias in ~/.ssh/config brings its user, port, key and ProxyJump along.
 * Secrets never go here: each host keeps its own shared/config.ts.
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
