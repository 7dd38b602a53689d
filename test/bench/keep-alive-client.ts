// A minimal HTTP/1.1 keep-alive client for the load generators: one request at a time on one socket,
// answers read by their Content-Length. The benchmarks share two cores with the server they measure,
// so the client must cost as little as it can: fetch (undici) took ~0.5 of a core to drive 16
// connections and slowed the server it was measuring by a third (docs/benchmarks.md, "Branch server").
// It is a load generator, not an HTTP client: it refuses what it does not read (a chunked answer).
import { connect, type Socket } from 'node:net';

export interface Answer {
  status: number;
  body: string;
}

export interface KeepAliveConnection {
  /** Sends one request and resolves with its answer; one at a time per connection. */
  request(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Answer>;
  close(): void;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** The answer at the start of `buffer` and how many bytes it took, or null until all of it has arrived. */
function parseAnswer(buffer: Buffer): { answer: Answer; length: number } | null {
  const headEnd = buffer.indexOf(HEAD_END);
  if (headEnd < 0) return null;
  const head = buffer.subarray(0, headEnd).toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!status) throw new Error(`not an HTTP/1.1 answer: ${head.slice(0, 80)}`);
  if (/\r\ntransfer-encoding:/i.test(head))
    throw new Error('a chunked answer: this client reads Content-Length only');
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  const bodyLength = length ? Number(length[1]) : 0;
  const end = headEnd + HEAD_END.length + bodyLength;
  if (buffer.length < end) return null;
  const body = buffer.subarray(headEnd + HEAD_END.length, end).toString('utf8');
  return { answer: { status: Number(status[1]), body }, length: end };
}

/** Opens one keep-alive connection to `url`'s host and port. */
export function openKeepAlive(url: string): Promise<KeepAliveConnection> {
  const { hostname, port, host } = new URL(url);
  return new Promise((resolveOpen, rejectOpen) => {
    const socket: Socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    let received: Buffer = Buffer.alloc(0);
    let waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void } | null = null;
    const fail = (error: Error) => {
      const w = waiting;
      waiting = null;
      w?.reject(error);
    };
    socket.once('connect', () => {
      socket.off('error', rejectOpen);
      socket.on('error', fail);
      resolveOpen(connection);
    });
    socket.once('error', rejectOpen);
    socket.on('close', () => fail(new Error('the server closed the connection')));
    socket.on('data', (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      try {
        const parsed = parseAnswer(received);
        if (parsed === null) return;
        received = received.subarray(parsed.length);
        const w = waiting;
        waiting = null;
        w?.resolve(parsed.answer);
      } catch (error) {
        fail(error as Error);
        socket.destroy();
      }
    });
    const connection: KeepAliveConnection = {
      request(method, path, headers, body) {
        if (waiting !== null) return Promise.reject(new Error('one request at a time per connection'));
        const lines = [`${method} ${path} HTTP/1.1`, `host: ${host}`];
        for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
        if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
        return new Promise<Answer>((resolve, reject) => {
          waiting = { resolve, reject };
          socket.write(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
        });
      },
      close: () => socket.destroy(),
    };
  });
}
