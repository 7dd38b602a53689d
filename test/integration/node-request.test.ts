// Reading a request from Node's IncomingMessage (src/http/node-request.ts) through a real
// @hono/node-server: a body is read whoever touched the request first, a client that goes away
// before or while its body is read never leaves a handler waiting, and a header sent twice reads as
// the Fetch API joins it.
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { limitBody, parseJsonBody } from '../../src/http/errors.ts';
import { requestHeader } from '../../src/http/node-request.ts';
import { waitFor } from '../helpers/wait.ts';

const bodySchema = z.object({ text: z.string() });

describe('reading a request from Node', () => {
  let server: ServerType;
  let port = 0;
  /** What each slow read ended with, by request id: how much it read, or why it refused. */
  const settled = new Map<string, string>();
  /** The slow reads waiting for the test to let them read, by request id. */
  const waiting = new Map<string, () => void>();

  beforeAll(async () => {
    const app = new Hono();
    app.use('*', limitBody(1024 * 1024));
    app.post('/echo', async (c) => c.json(await parseJsonBody(c, bodySchema)));
    // Something before the handler asks the Fetch request for its signal: Hono's request then reads the stream.
    app.post('/signal-first', async (c) => {
      void c.req.raw.signal;
      return c.json(await parseJsonBody(c, bodySchema));
    });
    // The body is read only once the test releases it, as a route that first awaits its session does.
    app.post('/slow/:id', async (c) => {
      await new Promise<void>((resolve) => waiting.set(c.req.param('id'), resolve));
      try {
        const body = await parseJsonBody(c, bodySchema);
        settled.set(c.req.param('id'), `read ${body.text.length}`);
      } catch (err) {
        settled.set(c.req.param('id'), `refused ${(err as Error).message}`);
      }
      return c.json({});
    });
    app.get('/header', (c) => c.json({ value: requestHeader(c, 'authorization') ?? null }));
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (path: string, body: string) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it('reads a large body, also after something asked the Fetch request for its signal', async () => {
    const text = 'x'.repeat(200_000);
    for (const path of ['/echo', '/signal-first']) {
      const res = await post(path, JSON.stringify({ text }));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { text: string }).text).toHaveLength(text.length);
    }
  });

  it('refuses, and never hangs, when the client went away before or while its body is read', async () => {
    // Half the declared body, then the socket is destroyed before the handler reads anything.
    for (const [id, sendAll] of [
      ['half', false],
      ['whole-then-gone', true],
    ] as const) {
      const body = JSON.stringify({ text: 'y'.repeat(50_000) });
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        `POST /slow/${id} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
      );
      socket.write(sendAll ? body : body.slice(0, body.length / 2));
      await waitFor(() => waiting.has(id), 10_000, 'the slow route to start');
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.destroy();
      await closed;
      // Node notices the closed socket before the handler reads on.
      await new Promise((r) => setTimeout(r, 100));
      waiting.get(id)!();
      await waitFor(() => settled.has(id), 10_000, `the ${id} read to settle`);
      if (!sendAll) expect(settled.get(id)).toMatch(/^refused/);
    }
  });

  /** Writes `request` on a raw socket; what came back once `complete` holds or the server closed it. */
  const exchange = (request: string, complete: (text: string) => boolean = () => false) => {
    const socket = connect(port, '127.0.0.1');
    return new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d;
        if (complete(text)) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('close', () => resolve(text));
      socket.write(request);
    });
  };

  it('refuses a declared body over the limit whatever the method, a GET included, without reading it', async () => {
    const text = await exchange(
      `GET /header HTTP/1.1\r\nhost: x\r\ncontent-length: ${2 * 1024 * 1024}\r\n\r\n`,
    );
    expect(text).toMatch(/^HTTP\/1\.1 413/);
    expect(text.toLowerCase()).toContain('connection: close');
  });

  it('reads a header sent twice as the Fetch API joins it, Authorization included (Node keeps only its first)', async () => {
    const text = await exchange(
      'GET /header HTTP/1.1\r\nhost: x\r\nauthorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n',
      (t) => t.includes('}'),
    );
    expect(text).toContain('{"value":"Bearer a, Bearer b"}');
  });
});
