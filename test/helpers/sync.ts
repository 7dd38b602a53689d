// Tools for sync fault tests: a raw WebSocket client that speaks (or mangles) the protocol frame by
// frame, tills (a registered device with its own edge store and terminal) that remember every sale
// they answered 201, and the exactly-once check of those sales against the tenant's database.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { MIN_EDGE_SCHEMA_VERSION } from '../../cloud/sync/endpoint.ts';
import { connect } from '../../edge/sync/connection.ts';
import { type SessionHooks, type SyncSummary, syncOn } from '../../edge/sync/sync-client.ts';
import type { SqlDatabase } from '../../src/db/sql.ts';
import { type Down, downSchema, type Hello, parseFrame, type Up } from '../../src/protocol/messages.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/version.ts';
import { createTestEdge, outboxMutations, type TestEdge } from './edge.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface RawClose {
  code: number;
  reason: string;
}

/** A WebSocket on /v1/sync that sends whatever it is given and queues every reply, parsed. */
export interface RawSyncClient {
  /** Sends a message (as JSON), a raw text frame, or a binary frame. */
  send(frame: Up | string | Buffer | Record<string, unknown>): void;
  /** The next message from the cloud (pokes included), or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Down>;
  /** Sends and waits for the next message. */
  request(frame: Up | string | Buffer | Record<string, unknown>, timeoutMs?: number): Promise<Down>;
  /** Resolves when the socket closed, with the code the peer (or ws) gave. */
  readonly closed: Promise<RawClose>;
  isOpen(): boolean;
  /** Drops the TCP connection without a close frame (a pulled cable, a killed process). */
  terminate(): void;
  close(): void;
}

export const wsUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/v1/sync`;

/** Opens a raw sync socket with `Authorization: Bearer <token>` (none when token is undefined). */
export function openRawSync(httpUrl: string, token: string | undefined): Promise<RawSyncClient> {
  const ws = new WebSocket(wsUrl(httpUrl), {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    handshakeTimeout: 10_000,
  });
  const queue: Down[] = [];
  const waiters: { resolve: (m: Down) => void; reject: (e: Error) => void }[] = [];
  let closeInfo: RawClose | undefined;
  const closed = new Promise<RawClose>((resolve) => {
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      for (const w of waiters.splice(0)) w.reject(new Error(`socket closed (${code}) while waiting`));
      resolve(closeInfo);
    });
  });
  let violation: Error | undefined;
  ws.on('message', (data) => {
    const parsed = parseFrame(downSchema, String(data));
    if (!parsed.ok) {
      violation ??= new Error(`the cloud sent a frame outside the protocol: ${parsed.reason}`);
      for (const w of waiters.splice(0)) w.reject(violation);
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(parsed.message);
    else queue.push(parsed.message);
  });
  ws.on('error', () => {
    // 'close' follows and settles everything.
  });
  const client: RawSyncClient = {
    send(frame) {
      if (Buffer.isBuffer(frame)) ws.send(frame, { binary: true });
      else ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    next(timeoutMs = 10_000) {
      if (violation) return Promise.reject(violation);
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      if (closeInfo) return Promise.reject(new Error(`socket closed (${closeInfo.code})`));
      return new Promise<Down>((resolve, reject) => {
        const waiter = {
          resolve: (m: Down) => {
            clearTimeout(timer);
            resolve(m);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no message from the cloud within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    request(frame, timeoutMs) {
      client.send(frame);
      return client.next(timeoutMs);
    },
    closed,
    isOpen: () => ws.readyState === WebSocket.OPEN,
    terminate: () => ws.terminate(),
    close: () => ws.close(1000, 'done'),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** A well-formed hello (with the oldest tenant schema the cloud accepts, which it always does). */
export function hello(overrides: Partial<Hello> = {}): Hello {
  return {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    schemaVersion: MIN_EDGE_SCHEMA_VERSION,
    storeId: randomUUID(),
    pullCursor: 0,
    terminals: [],
    ...overrides,
  };
}

/** A sale the edge answered 201, as the cloud must end up holding it. */
export interface AnsweredSale {
  id: string;
  receiptNo: string;
  totalMinor: number;
  lines: number;
  payments: number;
}

/** One device of a tenant: its token, its own edge store and terminal, and the sales it answered. */
export interface Till {
  orgId: string;
  deviceId: string;
  token: string;
  /** The edge database's id, which the cloud binds the token to at its first hello. */
  storeId: string;
  terminal: string;
  edge: TestEdge;
  answered: AnsweredSale[];
  /** Records `count` sales (distinct totals, one or two lines); returns the ones recorded now. */
  sell(count: number): AnsweredSale[];
  /** The outbox exactly as it would go on the wire (acked or not), in seq order. */
  outbox(): Mutation[];
  pending(): number;
}

export async function createTill(
  db: SqlDatabase,
  orgId: string,
  name: string,
  branch = 'MAIN',
  storeOptions: { journal?: boolean } = {},
): Promise<Till> {
  const device = await registerDevice({ db, orgId, actor: 'test' }, { branch, name });
  const edge = await createTestEdge({ identity: { orgId, branch, currency: 'EUR' }, ...storeOptions });
  const storeId = edge.store.meta.get('store_id');
  if (storeId === undefined) throw new Error('the edge store has no store_id');
  // Each till owns its own terminal: two devices never share a receipt series.
  const terminal = `T${randomBytes(4).toString('hex').toUpperCase()}`;
  const till: Till = {
    orgId,
    deviceId: device.deviceId,
    token: device.token,
    storeId,
    terminal,
    edge,
    answered: [],
    sell(count) {
      const now: AnsweredSale[] = [];
      for (let i = 0; i < count; i++) {
        const n = till.answered.length + 1;
        const lines = [{ name: `Item ${n}`, unitPriceMinor: 100 + n, qtyMilli: 1000, taxRateBp: 0 }];
        if (n % 3 === 0) lines.push({ name: 'Gift wrap', unitPriceMinor: 50, qtyMilli: 2000, taxRateBp: 0 });
        const total = lines.reduce((sum, l) => sum + (l.unitPriceMinor * l.qtyMilli) / 1000, 0);
        const sold = edge.store.sales.recordSale({
          terminal,
          lines,
          payments: [{ method: 'cash', amountMinor: total }],
        });
        if (!sold.ok) throw new Error(`the edge refused a sale: ${sold.error.message}`);
        if (!sold.value.created) throw new Error('the edge did not create the sale');
        const view = sold.value.value;
        const answered = {
          id: view.id,
          receiptNo: view.receiptNo,
          totalMinor: view.totalMinor,
          lines: view.lines.length,
          payments: view.payments.length,
        };
        till.answered.push(answered);
        now.push(answered);
      }
      return now;
    },
    outbox: () => outboxMutations(edge.store),
    pending: () => edge.store.outbox.status(new Date()).pending,
  };
  return till;
}

/** One full sync of a till on a fresh connection (hello, push all, pull all). */
export async function syncTill(httpUrl: string, till: Till, hooks: SessionHooks = {}): Promise<SyncSummary> {
  const conn = await connect(httpUrl, till.token);
  try {
    return await syncOn(conn, till.edge.store, hooks);
  } finally {
    conn.close();
  }
}

/**
 * Syncs until the till's outbox is empty, retrying after each failure (as the agent's loop would,
 * without its backoff); returns the failures seen on the way.
 */
export async function syncUntilDone(
  httpUrl: string,
  till: Till,
  options: { hooks?: SessionHooks; attempts?: number; pauseMs?: number } = {},
): Promise<unknown[]> {
  const failures: unknown[] = [];
  for (let attempt = 0; attempt < (options.attempts ?? 100); attempt++) {
    try {
      await syncTill(httpUrl, till, options.hooks);
      if (till.pending() === 0) return failures;
    } catch (err) {
      failures.push(err);
      await sleep(options.pauseMs ?? 10);
    }
  }
  throw new Error(`the till did not converge; last failures: ${failures.slice(-3).map(String).join(' | ')}`);
}

interface CloudSaleRow {
  id: string;
  receipt_no: string;
  total_minor: number;
  lines: number;
  payments: number;
}

/** The sales of one device in the tenant's database, every row (duplicates would show). */
export async function cloudSalesOf(db: SqlDatabase, deviceId: string): Promise<AnsweredSale[]> {
  const rows = await db.query<CloudSaleRow>(
    `SELECT s.id, s.receipt_no, s.total_minor,
            (SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id)::int4 AS lines,
            (SELECT count(*) FROM payments p WHERE p.sale_id = s.id)::int4 AS payments
       FROM sales s WHERE s.device_id = $1 ORDER BY s.id`,
    [deviceId],
  );
  return rows.map((r) => ({
    id: r.id,
    receiptNo: r.receipt_no,
    totalMinor: Number(r.total_minor),
    lines: Number(r.lines),
    payments: Number(r.payments),
  }));
}

/** The device's row as the cloud keeps it. */
export async function deviceState(
  db: SqlDatabase,
  deviceId: string,
): Promise<{ lastAppliedSeq: number; quarantined: number }> {
  const [row] = await db.query<{ last: number; quarantined: number }>(
    `SELECT last_applied_seq AS last,
            (SELECT count(*) FROM sync_quarantine q WHERE q.device_id = d.id)::int4 AS quarantined
       FROM devices d WHERE d.id = $1`,
    [deviceId],
  );
  if (!row) throw new Error(`no device ${deviceId}`);
  return { lastAppliedSeq: Number(row.last), quarantined: Number(row.quarantined) };
}

/** Counts of what a tenant's sync could have written, to prove another tenant's faults left it untouched. */
export async function tenantFootprint(db: SqlDatabase): Promise<Record<string, number>> {
  const tables = [
    'sales',
    'sale_lines',
    'payments',
    'stock_movements',
    'stock_documents',
    'stock_on_hand',
    'reorder_levels',
    'shifts',
    'sync_quarantine',
    'devices',
    'terminals',
    'journal_links',
    'journal_heads',
  ];
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int4 AS n FROM ${t}`);
    counts[t] = Number(row?.n ?? -1);
  }
  return counts;
}

export const sortById = <T extends { id: string }>(rows: readonly T[]): T[] =>
  [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export const sumTotals = (rows: readonly { totalMinor: number }[]) =>
  rows.reduce((sum, r) => sum + r.totalMinor, 0);

/** A TCP relay in front of the cloud whose connections can be cut at any moment (a dropped socket). */
export interface Relay {
  url: string;
  /** Destroys every relayed connection on both sides, without a close frame. */
  cut(): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((inbound) => {
    const outbound = tcpConnect(targetPort, '127.0.0.1');
    track(inbound);
    track(outbound);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      for (const s of sockets) s.destroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Takes over `uncaughtException` until `restore()`: what would have killed a real cloud process is
 * recorded instead of failing the whole run, so a test can assert there was none.
 */
export function captureUncaught(): { errors: unknown[]; restore(): void } {
  const errors: unknown[] = [];
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const record = (err: unknown) => {
    errors.push(err);
  };
  process.on('uncaughtException', record);
  return {
    errors,
    restore() {
      process.off('uncaughtException', record);
      for (const listener of saved) process.on('uncaughtException', listener);
    },
  };
}
