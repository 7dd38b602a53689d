// Reading a request the cheap way when it came through @hono/node-server: its headers and body straight
// from Node's IncomingMessage (`c.env.incoming`, node-server's documented HttpBindings), instead of
// through the Fetch API's Request, Headers and ReadableStream that node-server otherwise builds for it.
// Building those took ~80 µs of a sale's ~300 µs of HTTP work at the branch server
// (docs/benchmarks.md, "Branch server"). Without a node-server request (app.request() in tests, another
// runtime) each function falls back to Hono's own reading, so both paths answer the same.
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** Node's request behind `c`, while its body has not been read some other way. */
function incomingOf(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming !== undefined && typeof incoming.headers === 'object' ? incoming : undefined;
}

/** A request header (case-insensitive name), or undefined when it is absent. */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = incomingOf(c);
  if (incoming === undefined) return c.req.header(name);
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The declared body length; null when the request declares none or sends its body chunked. */
export function declaredLength(c: Context): number | null | undefined {
  const incoming = incomingOf(c);
  if (incoming === undefined) return undefined;
  const { headers } = incoming;
  if (headers['transfer-encoding'] !== undefined || headers['content-length'] === undefined) return null;
  return Number.parseInt(headers['content-length'], 10);
}

/** Whether the request can carry a body at all (not GET or HEAD). */
export function mayHaveBody(c: Context): boolean {
  return c.req.method !== 'GET' && c.req.method !== 'HEAD';
}

/**
 * The body as text: read from Node's stream while nothing else has read it (a body limit that had to
 * count a chunked body has, and left it in Hono's request), else through Hono.
 */
export function readBodyText(c: Context): Promise<string> {
  const incoming = incomingOf(c);
  if (incoming === undefined || incoming.readableDidRead || incoming.readableEnded) return c.req.text();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    incoming.once('error', reject);
    incoming.once('aborted', () => reject(new Error('the client aborted the request')));
  });
}
