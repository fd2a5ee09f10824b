import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import express from 'express';
import helmet from 'helmet';
import { StatsD } from 'hot-shots';
import winston from 'winston';
import { API_HELMET } from '../../../src/core/api/security';

/**
 * The contract's floor for GET /ping: a plain Express app doing, with the
 * libraries' own defaults and none of tandem's code, only what ARCHITECTURE.md
 * asks of every request: a request id in an AsyncLocalStorage context and in
 * X-Request-Id, helmet's headers (the same API set as tandem's, computed per
 * request as helmet does), one JSON access line through winston's file
 * transport, and a statsd timing through hot-shots. It shows what those
 * requirements cost beside bare Express. Only helmet's options are tandem's. Listens on 127.0.0.1:BENCH_PORT;
 * statsd goes to BENCH_STATSD_PORT, the log to BENCH_LOG_FILE (in the run's
 * temporary folder, removed after the run).
 */
const context = new AsyncLocalStorage<{ requestId: string }>();
const statsd = new StatsD({ host: '127.0.0.1', port: Number(process.env.BENCH_STATSD_PORT), prefix: 'floor.' });
const logger = winston.createLogger({
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.File({ filename: process.env.BENCH_LOG_FILE })],
});

const app = express();
app.disable('x-powered-by');
app.disable('etag');
// The same options as tandem's API headers; helmet itself runs per request, as it is made to.
app.use(helmet(API_HELMET));
app.use((req, res, next) => {
  const requestId = randomUUID();
  const start = process.hrtime.bigint();
  res.setHeader('X-Request-Id', requestId);
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    statsd.timing(`http.${req.method}.${req.route ? 'ping' : 'unmatched'}.${res.statusCode}`, ms);
    logger.info('http access', {
      request_id: requestId,
      method: req.method,
      path: req.path,
      status: res.statusCode,
      duration_ms: ms,
    });
  });
  context.run({ requestId }, next);
});
app.get('/ping', (_req, res) => {
  res.json({ code: 0, msg: 'ok', data: 'pong' });
});

const port = Number(process.env.BENCH_PORT);
const server = app.listen(port, '127.0.0.1');
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
