import express from 'express';
import { Redis } from 'ioredis';
import { type BareNewEvent, bareCreate, bareTransition, closeBareWrites } from './bare-writes';

/**
 * The bare Express baseline: what a plain Express app does for the same
 * routes, with nothing of tandem (no context, log, metrics or envelope
 * code). Later scenarios add their bare handler here. Listens on
 * 127.0.0.1:BENCH_PORT.
 */
const app = express();
app.disable('x-powered-by');

app.get('/ping', (_req, res) => {
  res.json({ code: 0, msg: 'ok', data: 'pong' });
});

// The same cache read tandem's GET /api/cs/events/:id makes on a hit, with nothing else around it.
const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0', {
  keyPrefix: process.env.BENCH_REDIS_PREFIX,
});
app.get('/api/cs/events/:id', (req, res, next) => {
  redis
    .get(`cs:event:${req.params.id}`)
    .then((raw) => {
      if (raw === null) res.status(404).json({ code: 1100, msg: 'not found', data: null });
      else res.json({ code: 0, msg: 'ok', data: JSON.parse(raw) as unknown });
    })
    .catch(next);
});

// The write baselines: the body parsed by Express's own JSON parser, the statements by bare-writes.
// The acting staff member: any id (the twin tables are dropped after the run; nothing checks it).
const actorId = 1;
app.post('/api/cs/events', express.json(), (req, res, next) => {
  bareCreate(actorId, '', req.body as BareNewEvent)
    .then((event) => res.status(201).json({ code: 0, msg: 'ok', data: event }))
    .catch(next);
});
app.post('/api/cs/events/:id/transition', express.json(), (req, res, next) => {
  const body = req.body as { to: string; note?: string };
  bareTransition(actorId, Number(req.params.id), body.to, body.note ?? '')
    .then((event) => res.json({ code: 0, msg: 'ok', data: event }))
    .catch(next);
});

const port = Number(process.env.BENCH_PORT);
const server = app.listen(port, '127.0.0.1');
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () =>
  server.close(() => void closeBareWrites().finally(() => process.exit(0))).closeAllConnections(),
);
