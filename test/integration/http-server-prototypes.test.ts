import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createHttpServer } from '../../src/core/api/http-server';

/**
 * createHttpServer builds requests and responses with the Express app's own
 * prototypes, so that Express's per-request Object.setPrototypeOf changes
 * nothing (each change would cost V8 a new hidden class, promoted to the old
 * generation). Checked over a real socket, before Express sees the request.
 */
describe('createHttpServer', () => {
  let server: http.Server;
  let baseUrl: string;
  const app = express();
  const seen: { requestBorn: boolean; responseBorn: boolean }[] = [];

  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id, ip: req.ip, accepts: req.accepts('json'), path: req.path });
  });

  beforeAll(async () => {
    server = createHttpServer(app);
    // Runs before the app's own listener: what Node built, before Express touched it.
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      seen.push({
        requestBorn: Object.getPrototypeOf(req) === app.request,
        responseBorn: Object.getPrototypeOf(res) === app.response,
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("when a request arrives, then its request and response already have the app's prototypes", async () => {
    const res = await fetch(`${baseUrl}/items/42`);

    expect(res.status).toBe(200);
    expect(seen.at(-1)).toEqual({ requestBorn: true, responseBorn: true });
  });

  it("when a handler uses Express's request and response helpers, then they work as on a plain server", async () => {
    const res = await fetch(`${baseUrl}/items/7?x=1`, { headers: { accept: 'application/json' } });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ id: '7', ip: '127.0.0.1', accepts: 'json', path: '/items/7' });
  });

  it('when many requests arrive on kept-alive connections, then each gets its own answer', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${baseUrl}/items/${i}`).then((r) => r.json() as Promise<{ id: string }>),
      ),
    );

    expect(answers.map((a) => a.id)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });
});
