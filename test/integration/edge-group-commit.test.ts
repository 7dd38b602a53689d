// Group commit on a real SQLite file: writes queued in one turn share one transaction, each in its
// own savepoint (a refused or failing sale writes nothing while the others commit), a repeated id in
// one group answers the first sale, a failed commit fails the whole group, and POST /v1/sales sent
// together answers each sale once.
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeApp } from '../../edge/http/app.ts';
import type { SaleInput } from '../../src/domain/payloads.ts';
import { saleInput } from '../bench/edge-sales.ts';
import { call, cashierAt, createTestEdge, rowCounts, seedCatalog, type TestEdge } from '../helpers/edge.ts';

let edge: TestEdge;

beforeAll(async () => {
  edge = await createTestEdge({ synchronous: 'full' });
  seedCatalog(edge.store, {
    products: [
      { sku: 'COFFEE-250G', priceMinor: 450, taxRateBp: 2000 },
      { sku: 'MILK-1L', priceMinor: 120, taxRateBp: 600 },
      { sku: 'MUG-CERAMIC', priceMinor: 899, taxRateBp: 2300 },
    ],
  });
  // A deferred foreign key is checked at COMMIT: a write that breaks it makes the commit itself fail.
  edge.store.database.sqlite.exec(`
    CREATE TABLE test_parent (id TEXT PRIMARY KEY);
    CREATE TABLE test_child (parent TEXT REFERENCES test_parent (id) DEFERRABLE INITIALLY DEFERRED);`);
});
afterAll(() => edge.destroy());

const saleCount = () =>
  (edge.store.database.sqlite.prepare('SELECT count(*) AS n FROM sales').get() as { n: number }).n;

/** Queues every write in the same turn, so they form one group; resolves with each settled result. */
function inOneGroup<T>(writes: (() => T)[]): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(writes.map((w) => edge.store.groupCommit.run(w)));
}

const record = (input: SaleInput) => () => edge.store.sales.recordSale(input);

describe('group commit', () => {
  it('commits the writes queued in one turn in one transaction, in order', async () => {
    const before = edge.store.groupCommit.stats();
    const inputs = [saleInput(), saleInput(), saleInput()];
    const settled = await inOneGroup(inputs.map(record));
    const after = edge.store.groupCommit.stats();
    expect(after.groups - before.groups).toBe(1);
    expect(after.writes - before.writes).toBe(3);
    const receipts = settled.map((s) => {
      if (s.status !== 'fulfilled' || !s.value.ok) throw new Error('a sale of the group failed');
      expect(s.value.value.created).toBe(true);
      return s.value.value.value.receiptNo;
    });
    // Receipt numbers are drawn in arrival order, without gaps.
    const seqs = receipts.map((r) => Number(r.split('-').at(-1)));
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
  });

  it('answers a repeated id in the same group with the first sale, written once', async () => {
    const input = saleInput();
    const count = saleCount();
    const settled = await inOneGroup([record(input), record(input)]);
    const [first, second] = settled.map((s) => {
      if (s.status !== 'fulfilled' || !s.value.ok) throw new Error('a sale of the group failed');
      return s.value.value;
    });
    expect(first!.created).toBe(true);
    expect(second!.created).toBe(false);
    expect(second!.value).toEqual(first!.value);
    expect(saleCount()).toBe(count + 1);
  });

  it('writes nothing for a refused sale or a write that throws, and commits the others', async () => {
    const sqlite = edge.store.database.sqlite;
    const before = rowCounts(edge.store);
    const good = [saleInput(), saleInput()];
    const tooLarge: SaleInput = {
      ...saleInput(),
      lines: [{ sku: 'MUG-CERAMIC', qtyMilli: 999_999_000 }],
      payments: [{ method: 'card', amountMinor: 1 }],
    };
    const settled = await inOneGroup<unknown>([
      record(good[0]!),
      record(tooLarge),
      () => {
        // A sale recorded, then an error: the write's savepoint takes the sale back with it.
        edge.store.sales.recordSale(saleInput());
        sqlite.prepare('INSERT INTO test_parent (id) VALUES (?)').run('p1');
        sqlite.prepare('INSERT INTO test_parent (id) VALUES (?)').run('p1');
      },
      record(good[1]!),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(settled[1]).toMatchObject({ value: { ok: false } });
    expect(String((settled[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(sqlite.prepare('SELECT count(*) AS n FROM test_parent').get()).toEqual({ n: 0 });
    const after = rowCounts(edge.store);
    expect(after.sales).toBe((before.sales as number) + 2);
    expect(after.outbox).toBe((before.outbox as number) + 2);
    for (const input of good) expect(edge.store.documents.read(input.id!)).toBeDefined();
  });

  it('fails every write of the group when the commit itself fails, and the next group commits', async () => {
    const sqlite = edge.store.database.sqlite;
    const before = rowCounts(edge.store);
    const inputs = [saleInput(), saleInput()];
    const settled = await inOneGroup<unknown>([
      record(inputs[0]!),
      () => sqlite.prepare('INSERT INTO test_child (parent) VALUES (?)').run('missing'),
      record(inputs[1]!),
    ]);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect(String((s as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    }
    expect(sqlite.inTransaction).toBe(false);
    expect(rowCounts(edge.store)).toEqual(before);
    for (const input of inputs) expect(edge.store.documents.read(input.id!)).toBeUndefined();
    // Nothing was answered: a retry of the same sales records them, numbered as if the failure never was.
    const retried = await inOneGroup(inputs.map(record));
    expect(retried.map((s) => s.status === 'fulfilled' && s.value.ok && s.value.value.created)).toEqual([
      true,
      true,
    ]);
  });
});

describe('POST /v1/sales with group commit', () => {
  let app: Hono;
  let auth: Record<string, string>;
  beforeAll(async () => {
    app = createEdgeApp({ store: edge.store });
    auth = await cashierAt(app, edge.store, 'T1');
  });

  it('answers sales sent together each once: 201 for the first of an id, 200 with it for the repeat', async () => {
    const repeated = saleInput();
    const others = [saleInput(), saleInput(), saleInput()];
    const count = saleCount();
    const answers = await Promise.all(
      [repeated, ...others, repeated].map((body) => call(app, 'POST', '/v1/sales', body, auth)),
    );
    const forRepeated = [answers[0]!, answers[4]!];
    expect(forRepeated.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(forRepeated[0]!.body).toEqual(forRepeated[1]!.body);
    expect(answers.slice(1, 4).map((a) => a.status)).toEqual([201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.receiptNo)).size).toBe(4);
    expect(saleCount()).toBe(count + 4);
  });

  it('still refuses a sale for another terminal than the session and writes nothing', async () => {
    const before = rowCounts(edge.store);
    const res = await call(app, 'POST', '/v1/sales', { ...saleInput(), terminal: 'T9' }, auth);
    expect(res).toMatchObject({ status: 403, body: { error: { code: 'terminal_mismatch' } } });
    expect(rowCounts(edge.store)).toEqual(before);
  });
});
