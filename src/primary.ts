/**
 * `node dist/src/primary.js DEPLOY_TO [STATE_DIR]`: the deployed server
 * behind a reloadable primary (src/core/app/reload-primary.ts), started by
 * deploy/service.sh and the systemd unit. It runs `server.workers` workers
 * (at least one) of the release DEPLOY_TO/current points to, and on SIGUSR2
 * replaces them with those of the release it points to then, without
 * closing the ports. STATE_DIR (default DEPLOY_TO/shared) receives
 * server.primary (this pid) and server.reload (each reload's outcome).
 */
import path from 'node:path';
import { runReloadPrimary } from './core/app/reload-primary';
import { loadConfigOrExit } from './core/config';
import { configureLogger } from './core/log';

const [deployTo, stateDir] = process.argv.slice(2);
if (!deployTo) {
  process.stderr.write('usage: node dist/src/primary.js DEPLOY_TO [STATE_DIR]\n');
  process.exit(2);
}
const config = loadConfigOrExit();
// The primary's lines (reloads, workers that exit) go where its workers' go; SIGHUP reopens the file.
configureLogger({ level: config.log.level, file: config.log.file, service: `${config.service_name}-primary` });
runReloadPrimary({
  deployTo: path.resolve(deployTo),
  stateDir: path.resolve(stateDir ?? path.join(deployTo, 'shared')),
  workers: Math.max(1, config.server.workers),
  stopDeadlineMs: config.server.drain_delay_ms + config.server.shutdown_timeout_ms,
});
