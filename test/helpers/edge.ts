// Edge stores for tests: a real SQLite file in a temporary directory, a catalog seeded the way a pull
// would write it, row counts for "nothing was written" checks, and a JSON request helper for
// app.request().
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { type EdgeStore, type EdgeStoreOptions, openEdgeStore } from '../../edge/store/store.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { hashSecret } from '../../src/secret-hash.ts';
import { checkAgainstDocument } from './openapi.ts';

/** A device token in the documented shape (`mpd_{orgId}_{32 base64url}`) for tests that need one. */
export const testDeviceToken = (orgId = 'acme') => `mpd_${orgId}_${'x'.repeat(32)}`;

export interface TestEdge {
  store: EdgeStore;
  dir: string;
  file: string;
  /** Closes and reopens the store on the same file (a restarted agent). */
  reopen(options?: EdgeStoreOptions): Promise<EdgeStore>;
  destroy(): void;
}

export async function createTestEdge(options: EdgeStoreOptions = {}): Promise<TestEdge> {
  const dir = mkdtempSync(join(tmpdir(), 'modernpos-edge-'));
  const file = join(dir, 'edge.db');
  const opts: EdgeStoreOptions = {
    synchronous: 'normal',
    ...options,
    identity: { branch: 'B01', currency: 'EUR', timeZone: 'Europe/Lisbon', ...options.identity },
  };
  const edge: TestEdge = {
    store: await openEdgeStore(file, opts),
    dir,
    file,
    async reopen(more = {}) {
      edge.store.close();
      edge.store = await openEdgeStore(file, { ...opts, ...more });
      return edge.store;
    },
    destroy() {
      try {
        edge.store.close();
      } catch {
        // already closed
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return edge;
}

export interface SeedProduct {
  /** The product's id, for a catalog that must match the cloud's; a new one otherwise. */
  id?: string;
  sku: string;
  name?: string;
  priceMinor?: number | null;
  barcode?: string;
  taxRateBp?: number;
  taxInclusive?: boolean;
  active?: boolean;
}

/** Writes a catalog into the store's tenant tables as a pull would; returns product ids by SKU. */
export function seedCatalog(
  store: EdgeStore,
  catalog: { products: SeedProduct[]; branch?: { code: string; timeZone: string }; currency?: string },
): Map<string, string> {
  const db = store.database.sqlite;
  const at = '2020-01-01T00:00:00.000Z';
  const ids = new Map<string, string>();
  db.transaction(() => {
    if (catalog.currency) {
      db.prepare(
        "INSERT INTO settings (key, value, updated_at) VALUES ('currency', ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(catalog.currency, at);
    }
    if (catalog.branch) {
      db.prepare(
        'INSERT INTO branches (id, code, name, time_zone, active, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)',
      ).run(randomUUID(), catalog.branch.code, catalog.branch.code, catalog.branch.timeZone, at, at);
    }
    const rates = new Map<string, string>();
    for (const p of catalog.products) {
      const bp = p.taxRateBp ?? 2000;
      const inclusive = p.taxInclusive ?? false;
      const key = `${bp}:${inclusive}`;
      let rateId = rates.get(key);
      if (!rateId) {
        rateId = randomUUID();
        rates.set(key, rateId);
        db.prepare(
          'INSERT INTO tax_rates (id, name, rate_bp, inclusive, is_default, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)',
        ).run(rateId, key, bp, inclusive ? 1 : 0, at, at);
      }
      const id = p.id ?? randomUUID();
      ids.set(p.sku, id);
      db.prepare(
        'INSERT INTO products (id, sku, barcode, name, category, tax_rate_id, active, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)',
      ).run(id, p.sku, p.barcode ?? null, p.name ?? p.sku, rateId, p.active === false ? 0 : 1, at, at);
      if (p.priceMinor !== null) {
        db.prepare(
          'INSERT INTO prices (id, product_id, branch_id, price_minor, effective_from, created_at) VALUES (?, ?, NULL, ?, ?, ?)',
        ).run(randomUUID(), id, p.priceMinor ?? 100, at, at);
      }
    }
  })();
  return ids;
}

const countedTables = [
  'sales',
  'sale_lines',
  'payments',
  'stock_movements',
  'stock_documents',
  'stock_on_hand',
  'shifts',
  'cash_movements',
  'shift_counts',
  'outbox',
  'local_sequences',
  'cashier_sessions',
  'pin_failures',
  'journal_links',
  'journal_heads',
] as const;

/** Rows per table the cashier API writes to (and the sequences), to prove a refusal wrote nothing. */
export function rowCounts(store: EdgeStore): Record<string, unknown> {
  const db = store.database.sqlite;
  return {
    ...Object.fromEntries(
      countedTables.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
    ),
    sequences: db.prepare('SELECT name, value FROM local_sequences ORDER BY name').all(),
  };
}

/** The store's whole outbox as the mutations a push carries, in seq order. */
export function outboxMutations(store: EdgeStore): Mutation[] {
  const rows = store.database.sqlite
    .prepare('SELECT seq, mutation_id AS id, kind, payload FROM outbox ORDER BY seq')
    .all() as { seq: number; id: string; kind: string; payload: string }[];
  return rows.map(
    (r) => ({ seq: r.seq, id: r.id, kind: r.kind, payload: JSON.parse(r.payload) }) as Mutation,
  );
}

/** A JSON request through app.request(): status and parsed body. */
export async function call(
  app: Hono,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by path and assert their shape
): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await app.request(path, init);
  const text = await res.text();
  const parsed = text === '' ? undefined : JSON.parse(text);
  // Every answer must be one the app's OpenAPI document describes (test/helpers/openapi.ts).
  checkAgainstDocument(app, method, path, res.status, res.headers.get('content-type') ?? '', parsed);
  return { status: res.status, body: parsed };
}

/** scrypt takes ~50 ms: one hash per PIN for the whole test file. */
const pinHashes = new Map<string, Promise<string>>();
const pinHash = (pin: string) => {
  let hash = pinHashes.get(pin);
  if (!hash) {
    hash = hashSecret(pin);
    pinHashes.set(pin, hash);
  }
  return hash;
};

export interface TillUserSeed {
  id?: string;
  code: string;
  pin: string;
  name?: string;
  /** cashier (default), manager or owner. */
  role?: string;
  active?: boolean;
}

/** Writes a user who signs in at tills (code and PIN hash) into the store as a pull would; returns its id. */
export async function seedTillUser(store: EdgeStore, user: TillUserSeed): Promise<string> {
  const db = store.database.sqlite;
  const at = '2020-01-01T00:00:00.000Z';
  const id = user.id ?? randomUUID();
  const role = user.role ?? 'cashier';
  const hash = await pinHash(user.pin);
  db.prepare("INSERT INTO roles (id, name, permissions) VALUES (?, ?, '[]') ON CONFLICT DO NOTHING").run(
    role,
    role,
  );
  db.prepare(
    `INSERT INTO users (id, email, name, role_id, password_hash, pin_hash, active, created_at, updated_at, code)
     VALUES (?, NULL, ?, ?, NULL, ?, ?, ?, ?, ?)`,
  ).run(id, user.name ?? `User ${user.code}`, role, hash, user.active === false ? 0 : 1, at, at, user.code);
  return id;
}

/** Signs in through the cashier API; the session's Authorization header (throws unless 201). */
export async function signIn(
  app: Hono,
  terminal: string,
  code: string,
  pin: string,
): Promise<Record<string, string>> {
  const res = await call(app, 'POST', '/v1/cashier-sessions', { terminal, code, pin });
  if (res.status !== 201)
    throw new Error(`sign-in at ${terminal} as ${code}: ${res.status} ${JSON.stringify(res.body)}`);
  return { authorization: `Bearer ${res.body.token}` };
}

/** The test cashier every HTTP-level test signs in as (made in the store on first use). */
export const TEST_CASHIER = { code: '7001', pin: '246810', name: 'Test Cashier' } as const;

/** Signs the test cashier in at `terminal` (seeding them first if the store lacks them): the headers. */
export async function cashierAt(
  app: Hono,
  store: EdgeStore,
  terminal = 'T1',
): Promise<Record<string, string>> {
  const known = store.database.sqlite.prepare('SELECT 1 FROM users WHERE code = ?').get(TEST_CASHIER.code);
  if (!known) await seedTillUser(store, TEST_CASHIER);
  return signIn(app, terminal, TEST_CASHIER.code, TEST_CASHIER.pin);
}
