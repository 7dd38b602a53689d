// One WebSocket to the cloud's /v1/sync, as request and reply: every message the edge sends gets
// exactly one reply, in order (the cloud handles a connection's messages one at a time), so replies
// resolve a FIFO of waiters; pokes arrive on their own. Every frame is parsed with the protocol.
import WebSocket from 'ws';
import { type Down, downSchema, parseFrame, type Up } from '../../src/protocol/messages.ts';

/**
 * The connection ended or could not be made; `closeCode` says how the cloud closed it, if it did, and
 * `httpStatus` what it answered instead of upgrading (a 404: the URL leads to no sync endpoint).
 */
export class ConnectionLost extends Error {
  constructor(
    message: string,
    readonly closeCode?: number,
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

export interface SyncConnection {
  request(message: Up): Promise<Down>;
  /** Sends a frame serialized by the caller (a push spliced from stored JSON); same reply order. */
  requestFrame(frame: string): Promise<Down>;
  /** Called for each poke: the tenant's catalog moved on. */
  onPoke(listener: (cursor: number) => void): void;
  /** Called for each `resolved` (protocol 4): HQ resolved some of this device's quarantined mutations. */
  onResolved(listener: () => void): void;
  readonly closed: Promise<ConnectionLost>;
  close(): void;
  /** Drops the socket without a closing handshake (a peer that stopped answering). */
  terminate(): void;
}

/**
 * The sync endpoint of a cloud URL: `http(s)://host[/base]` or `ws(s)://host[/base]`, with or without
 * a trailing slash or the `/v1/sync` path itself → `ws(s)://host[/base]/v1/sync`.
 */
export function syncUrl(cloudUrl: string): string {
  const url = new URL(cloudUrl);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  const base = url.pathname.replace(/\/+$/, '').replace(/\/v1\/sync$/, '');
  url.pathname = `${base}/v1/sync`;
  url.hash = '';
  return url.toString();
}

export function connect(
  cloudUrl: string,
  token: string,
  options: { timeoutMs?: number; maxFrameBytes?: number } = {},
): Promise<SyncConnection> {
  // Errors name the URL actually tried, which is not always the one the edge was given.
  const target = syncUrl(cloudUrl);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, {
      headers: { authorization: `Bearer ${token}` },
      handshakeTimeout: options.timeoutMs ?? 10_000,
      maxPayload: 64 * 1024 * 1024,
    });
    const waiters: { resolve: (m: Down) => void; reject: (e: Error) => void }[] = [];
    const pokeListeners: ((cursor: number) => void)[] = [];
    const resolvedListeners: (() => void)[] = [];
    let lost: ConnectionLost | undefined;
    let markClosed: (e: ConnectionLost) => void = () => {};
    const closed = new Promise<ConnectionLost>((r) => {
      markClosed = r;
    });
    const fail = (err: ConnectionLost) => {
      if (lost) return;
      lost = err;
      for (const w of waiters.splice(0)) w.reject(err);
      markClosed(err);
    };

    const send = (frame: string) => {
      if (lost) return Promise.reject(lost);
      return new Promise<Down>((res, rej) => {
        waiters.push({ resolve: res, reject: rej });
        ws.send(frame);
      });
    };
    ws.on('open', () =>
      resolve({
        request(message) {
          return send(JSON.stringify(message));
        },
        requestFrame: (frame) => send(frame),
        onPoke: (listener) => {
          pokeListeners.push(listener);
        },
        onResolved: (listener) => {
          resolvedListeners.push(listener);
        },
        closed,
        close: () => ws.close(1000, 'done'),
        terminate: () => ws.terminate(),
      }),
    );
    ws.on('message', (data) => {
      const parsed = parseFrame(downSchema, data.toString());
      if (!parsed.ok) {
        fail(new ConnectionLost(`the cloud sent a frame this edge cannot read: ${parsed.reason}`));
        ws.terminate();
        return;
      }
      const message = parsed.message;
      if (message.type === 'poke') {
        for (const l of pokeListeners) l(message.cursor);
        return;
      }
      if (message.type === 'resolved') {
        for (const l of resolvedListeners) l();
        return;
      }
      waiters.shift()?.resolve(message);
    });
    // An HTTP answer instead of an upgrade (a 404 from a wrong path, a proxy's 502) says what is wrong.
    ws.on('unexpected-response', (_req, res) => {
      const hint =
        res.statusCode === 404 ? ": no sync endpoint there; check --cloud-url (the cloud's base URL)" : '';
      const lostErr = new ConnectionLost(
        `the cloud at ${target} answered HTTP ${res.statusCode} instead of a WebSocket upgrade${hint}`,
        undefined,
        res.statusCode,
      );
      fail(lostErr);
      reject(lostErr);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      const lostErr = new ConnectionLost(`cannot reach the cloud at ${target}: ${err.message}`);
      fail(lostErr);
      reject(lostErr);
    });
    ws.on('close', (code, reason) => {
      const lostErr = new ConnectionLost(
        `the cloud closed the connection (${code}${reason.length ? ` ${reason}` : ''})`,
        code,
      );
      fail(lostErr);
      reject(lostErr);
    });
  });
}
