import express from 'express';

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

const port = Number(process.env.BENCH_PORT);
const server = app.listen(port, '127.0.0.1');
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
