// Reading a request the cheap way when it came through @hono/node-server: its headers and body straight
// from Node's IncomingMessage (`c.env.incoming`, node-server's documented HttpBindings), instead of
// through the Fetch API's Request, Headers and ReadableStream that node-server otherwise builds for it.
// Building those took ~80 µs of a sale's ~300 µs of HTTP work at the branch server
// (docs/benchmarks.md, "Branch server"). Without a node-server request (app.request() in tests, another
// runtime) each function falls back to Hono's own reading, so both paths answer the same.
import type { IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';
import type { Context } from 'hono';

/** Node's request behind `c`, when @hono/node-server served it. */
function incomingOf(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming !== undefined && typeof incoming.headers === 'object' ? incoming : undefined;
}

/**
 * A request header (case-insensitive name), or undefined when it is absent. A header sent more than
 * once reads as the Fetch API joins it (`a, b`), not as Node keeps some (the first only).
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = incomingOf(c);
  if (incoming === undefined) return c.req.header(name);
  return incoming.headersDistinct[name.toLowerCase()]?.join(', ');
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
 * The body as text: read from Node's stream while nothing else reads or has read it, else through
 * Hono (a body limit that had to count a chunked body has read it into Hono's request; Hono's
 * request, once something asks for its body or signal, reads the stream itself). A request its
 * client aborted, before or while it is read, rejects.
 */
export function readBodyText(c: Context): Promise<string> {
  const incoming = incomingOf(c);
  const untouched =
    incoming !== undefined &&
    !incoming.readableDidRead &&
    !incoming.readableEnded &&
    incoming.readableFlowing === null;
  return untouched ? text(incoming) : c.req.text();
}
