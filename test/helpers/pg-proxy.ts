// A TCP proxy in front of the test Postgres that can hold what the server sends on a chosen new
// session and later deliver it in one write: how a test puts a session's ready message and its
// termination notice into the same socket read, the race that once crashed the cloud process.
import { createServer, type Socket, connect as tcpConnect } from 'node:net';

/** The parameters of a session's startup message (user, database, application_name, …). */
export type StartupParams = Record<string, string>;

/** A session whose server bytes after authentication are held back from the client. */
export interface HeldSession {
  /** The backend's pid, once the server has sent its ready message (the client has not seen it). */
  ready: Promise<number>;
  /** Settles when the server has closed its side of the session. */
  serverClosed: Promise<void>;
  /** Delivers every held byte to the client in one write, then closes the client's side. */
  release(): void;
}

export interface PgProxy {
  /** The test Postgres's URL with the proxy's host and port. */
  url: string;
  /** Holds the next session whose startup parameters satisfy `match`. */
  holdNext(match: (startup: StartupParams) => boolean): HeldSession;
  /** The backend pids of every session seen so far whose startup parameters satisfy `match`. */
  pidsOf(match: (startup: StartupParams) => boolean): number[];
  close(): Promise<void>;
}

interface Hold {
  match: (startup: StartupParams) => boolean;
  session: HeldSession;
  attach(client: Socket, server: Socket): void;
}

/** The startup message's parameters, or undefined while it is incomplete or when it is not one. */
function parseStartup(bytes: Buffer): StartupParams | undefined {
  if (bytes.length < 8) return undefined;
  const length = bytes.readInt32BE(0);
  if (bytes.length < length || bytes.readInt32BE(4) !== 196608) return undefined;
  const fields = bytes
    .subarray(8, length - 1)
    .toString('utf8')
    .split('\0');
  const params: StartupParams = {};
  for (let i = 0; i + 1 < fields.length; i += 2) params[fields[i]!] = fields[i + 1]!;
  return params;
}

/** One complete server message at `offset`: its type byte and where the next begins. */
function messageAt(bytes: Buffer, offset: number): { type: string; body: Buffer; end: number } | undefined {
  if (bytes.length < offset + 5) return undefined;
  const end = offset + 1 + bytes.readInt32BE(offset + 1);
  if (bytes.length < end) return undefined;
  return { type: String.fromCharCode(bytes[offset]!), body: bytes.subarray(offset + 5, end), end };
}

export async function startPgProxy(targetUrl: string): Promise<PgProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const sessions: { startup: StartupParams; pid?: number }[] = [];
  const holds: Hold[] = [];

  const server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    const session: { startup: StartupParams; pid?: number } = { startup: {} };
    sessions.push(session);
    let hold: Hold | undefined;
    let greeting = Buffer.alloc(0);
    const onClientData = (chunk: Buffer) => {
      greeting = Buffer.concat([greeting, chunk]);
      const startup = parseStartup(greeting);
      if (!startup) return;
      client.off('data', onClientData);
      session.startup = startup;
      const index = holds.findIndex((h) => h.match(startup));
      if (index >= 0) [hold] = holds.splice(index, 1);
      upstream.write(greeting);
      client.pipe(upstream);
      if (hold) hold.attach(client, upstream);
      else watchUntilReady(upstream, client, session);
    };
    client.on('data', onClientData);
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  return {
    url: url.toString(),
    holdNext(match) {
      const hold = createHold(match);
      holds.push(hold);
      return hold.session;
    },
    pidsOf(match) {
      return sessions.filter((s) => s.pid !== undefined && match(s.startup)).map((s) => s.pid!);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Passes the server's bytes through, noting the backend's pid on the way. */
function watchUntilReady(upstream: Socket, client: Socket, session: { pid?: number }) {
  let pending = Buffer.alloc(0);
  upstream.on('data', (chunk: Buffer) => {
    client.write(chunk);
    if (session.pid !== undefined) return;
    pending = Buffer.concat([pending, chunk]);
    let offset = 0;
    for (let m = messageAt(pending, offset); m; m = messageAt(pending, offset)) {
      if (m.type === 'K') session.pid = m.body.readInt32BE(0);
      offset = m.end;
    }
    pending = pending.subarray(offset);
  });
  upstream.on('close', () => client.destroy());
}

function createHold(match: (startup: StartupParams) => boolean): Hold {
  let onReady!: (pid: number) => void;
  let onServerClosed!: () => void;
  const ready = new Promise<number>((resolve) => {
    onReady = resolve;
  });
  const serverClosed = new Promise<void>((resolve) => {
    onServerClosed = resolve;
  });
  let sink: Socket | undefined;
  let held = Buffer.alloc(0);
  return {
    match,
    attach(client, upstream) {
      sink = client;
      // Authentication needs the client's answers, so everything up to AuthenticationOk passes;
      // from there the server talks alone (parameters, BackendKeyData, ReadyForQuery) and is held.
      let authenticated = false;
      let pending = Buffer.alloc(0);
      let pid = 0;
      upstream.on('data', (chunk: Buffer) => {
        if (authenticated) {
          held = Buffer.concat([held, chunk]);
        } else {
          pending = Buffer.concat([pending, chunk]);
          let offset = 0;
          for (let m = messageAt(pending, offset); m && !authenticated; m = messageAt(pending, offset)) {
            offset = m.end;
            if (m.type === 'R' && m.body.readInt32BE(0) === 0) authenticated = true;
          }
          client.write(pending.subarray(0, offset));
          if (authenticated) held = Buffer.concat([held, pending.subarray(offset)]);
          pending = pending.subarray(offset);
        }
        let offset = 0;
        for (let m = messageAt(held, offset); m; m = messageAt(held, offset)) {
          if (m.type === 'K') pid = m.body.readInt32BE(0);
          if (m.type === 'Z') onReady(pid);
          offset = m.end;
        }
      });
      upstream.on('close', () => onServerClosed());
    },
    session: {
      ready,
      serverClosed,
      release() {
        if (!sink) throw new Error('no session was held');
        sink.end(held);
      },
    },
  };
}
