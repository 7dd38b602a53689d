// One WebSocket to the cloud's /v1/sync, as request and reply: every message the edge sends gets
// exactly one reply, in order (the cloud handles a connection's messages one at a time), so replies
// resolve a FIFO of waiters; pokes arrive on their own. Every frame is parsed with the protocol.
import WebSocket from 'ws';
import { type Down, downSchema, parseFrame, type Up } from '../../src/protocol/messages.ts';

/** The connection ended or could not be made; `closeCode` says how the cloud closed it, if it did. */
export class ConnectionLost extends Error {
  constructor(
    message: string,
    readonly closeCode?: number,
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
  readonly closed: Promise<ConnectionLost>;
  close(): void;
  /** Drops the socket without a closing handshake (a peer that stopped answering). */
  terminate(): void;
}

/** `http(s)://host[/base]` → `ws(s)://host[/base]/v1/sync`. */
export function syncUrl(cloudUrl: string): string {
  const url = new URL(cloudUrl);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/$/, '')}/v1/sync`;
  return url.toString();
}

export function connect(
  cloudUrl: string,
  token: string,
  options: { timeoutMs?: number; maxFrameBytes?: number } = {},
): Promise<SyncConnection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(syncUrl(cloudUrl), {
      headers: { authorization: `Bearer ${token}` },
      handshakeTimeout: options.timeoutMs ?? 10_000,
      maxPayload: 64 * 1024 * 1024,
    });
    const waiters: { resolve: (m: Down) => void; reject: (e: Error) => void }[] = [];
    const pokeListeners: ((cursor: number) => void)[] = [];
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
      waiters.shift()?.resolve(message);
    });
    ws.on('error', (err) => {
      const lostErr = new ConnectionLost(`cannot reach the cloud at ${cloudUrl}: ${err.message}`);
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
