// The sync protocol checks itself: its JSON Schema is pinned to its version (a wire change fails here
// until the version is bumped and its history line written), the edge's hand-spliced push frame is a
// valid push, and the catalog rows a pull carries have one schema the cloud's pull and the edge's
// tables both hold to.
import { createHash } from 'node:crypto';
import { getTableColumns } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pulledColumns } from '../../cloud/sync/pull.ts';
import { pushFrame } from '../../edge/sync/sync-client.ts';
import { catalogEntities, catalogRowSchemas } from '../../src/protocol/catalog-rows.ts';
import { downSchema, parseFrame, upSchema } from '../../src/protocol/messages.ts';
import { payloadSchemas } from '../../src/protocol/mutations.ts';
import {
  PROTOCOL_HISTORY,
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '../../src/protocol/version.ts';
import * as sqlite from '../../src/schema/sqlite.ts';
import { createTestEdge, seedCatalog, type TestEdge } from '../helpers/edge.ts';

/**
 * The wire contract's hash at the version it belongs to. When the test below fails: bump
 * PROTOCOL_VERSION, add its line to PROTOCOL_HISTORY (and SUPPORTED_PROTOCOL_VERSIONS), then pin the
 * new version and hash here.
 */
const PINNED = {
  version: 6,
  sha256: '8704535fa68ec4c3a5e7936c3056a20f3feefbe2f7d58db0a02a6bda6226fe65',
};

const jsonSchema = (s: z.ZodType) =>
  JSON.stringify(z.toJSONSchema(s, { unrepresentable: 'any', io: 'input' }));

function wireHash(): string {
  const wire = {
    up: jsonSchema(upSchema),
    down: jsonSchema(downSchema),
    payloads: Object.fromEntries(
      Object.entries(payloadSchemas).map(([k, s]) => [k, jsonSchema(s as z.ZodType)]),
    ),
    catalogRows: Object.fromEntries(Object.entries(catalogRowSchemas).map(([k, s]) => [k, jsonSchema(s)])),
  };
  return createHash('sha256').update(JSON.stringify(wire)).digest('hex');
}

describe('the wire contract is pinned to its version', () => {
  it('the up and down unions, the payloads and the catalog rows hash to what this version pinned', () => {
    const hash = wireHash();
    expect(
      { version: PROTOCOL_VERSION, sha256: hash },
      `the wire changed (sha256 ${hash}): bump PROTOCOL_VERSION, add its PROTOCOL_HISTORY line, then pin it in this test`,
    ).toEqual(PINNED);
  });

  it('every version has its history line, and the cloud speaks the current one', () => {
    for (let v = 1; v <= PROTOCOL_VERSION; v++) expect(PROTOCOL_HISTORY[v]?.length).toBeGreaterThan(20);
    expect(
      Object.keys(PROTOCOL_HISTORY)
        .map(Number)
        .sort((a, b) => a - b)
        .at(-1),
    ).toBe(PROTOCOL_VERSION);
    expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(PROTOCOL_VERSION);
  });
});

describe("the edge's spliced push frame", () => {
  let edge: TestEdge | undefined;
  afterEach(() => {
    edge?.destroy();
    edge = undefined;
  });

  it('parses as a push whose payloads are the stored documents, quotes and non-ASCII text included', async () => {
    edge = await createTestEdge();
    const { store } = edge;
    seedCatalog(store, {
      products: [{ sku: 'COFFEE-250', name: 'Café "Crème" 250g', priceMinor: 450, taxRateBp: 2000 }],
    });
    const shift = store.shifts.open({ terminal: 'T1', cashier: 'Zoë \\ "Ö"', openingFloatMinor: 1000 });
    expect(shift.ok).toBe(true);
    const sale = store.sales.recordSale({
      terminal: 'T1',
      cashier: 'Zoë \\ "Ö"',
      lines: [{ sku: 'COFFEE-250', qtyMilli: 2000 }],
      payments: [{ method: 'cash', amountMinor: 2000 }],
    });
    if (!sale.ok) throw new Error(JSON.stringify(sale.error));
    const refund = store.sales.recordRefund(sale.value.value.id, {
      terminal: 'T1',
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 540 }],
    });
    if (!refund.ok) throw new Error(JSON.stringify(refund.error));

    const batch = store.outbox.pending(0, 100, 1_000_000);
    expect(batch.map((m) => m.kind)).toEqual(['shift_open', 'sale', 'refund']);
    const parsed = parseFrame(upSchema, pushFrame(batch));
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.message.type).toBe('push');
    if (parsed.message.type !== 'push') return;
    expect(parsed.message.mutations).toEqual(
      batch.map((m) => ({ seq: m.seq, id: m.id, kind: m.kind, payload: JSON.parse(m.payloadJson) })),
    );
    for (const m of parsed.message.mutations) {
      const schema = payloadSchemas[m.kind as keyof typeof payloadSchemas];
      expect(schema.safeParse(m.payload).success, m.kind).toBe(true);
    }
  });
});

describe('catalog rows have one schema', () => {
  const sqliteTables = {
    branch: sqlite.branches,
    product: sqlite.products,
    price: sqlite.prices,
    tax_rate: sqlite.taxRates,
    user: sqlite.users,
    role: sqlite.roles,
    setting: sqlite.settings,
  } as const;

  it.each(catalogEntities)("%s: the cloud pulls exactly the row schema's fields", (entity) => {
    expect(pulledColumns(entity).sort()).toEqual(Object.keys(catalogRowSchemas[entity].shape).sort());
  });

  it.each(catalogEntities)("%s: the edge's table has every field of the row schema", (entity) => {
    const columns = Object.keys(getTableColumns(sqliteTables[entity]));
    const fields = Object.keys(catalogRowSchemas[entity].shape);
    expect(fields.filter((f) => !columns.includes(f))).toEqual([]);
    // What the edge keeps beyond the pulled row is its own (users' password hash never comes down).
    expect(columns.filter((c) => !fields.includes(c))).toEqual(entity === 'user' ? ['passwordHash'] : []);
  });
});
