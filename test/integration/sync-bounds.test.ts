// Payloads pushed over the wire with values outside the documented bounds (src/domain/bounds.ts), on
// every engine: each is quarantined `invalid_payload` with a reason naming the field (control
// characters escaped), the valid mutation after them applies, and the device's queue moves on.
// These were poison before: Postgres refused year 0, an offset of +23:59 and a NUL in the reason,
// and 1,024 movements of 2^53 − 1 overflowed the int8 stock on hand.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { MAX_AMOUNT_MINOR, MAX_STOCK_DELTA_MILLI } from '../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { silentLogger } from '../../src/log.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { cloudSalesOf, createTill, deviceState, hello, openRawSync, type Till } from '../helpers/sync.ts';

describe.each(engineNames)('sync payloads beyond the bounds on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  let db: ClosableSqlDatabase;
  let till: Till;
  const orgId = uniqueId('sb');

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId, name: 'Bounds', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_sync_bounds_token_0123456789',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
      logger: silentLogger(),
    });
    till = await createTill(db, orgId, `Bounds ${uniqueId()}`);
  }, 120_000);

  afterAll(async () => {
    till?.edge.destroy();
    await server?.stop().catch(() => {});
    await db?.close();
    await p?.destroy();
  });

  it('quarantines each as invalid_payload naming the field, applies the valid sale after them, and the queue moves', async () => {
    till.sell(1);
    const [real] = till.outbox();
    if (!real) throw new Error('the till queued nothing');
    const sale = real.payload as Record<string, unknown> & { lines: Record<string, unknown>[] };
    const at = sale.occurredAt as string;
    const saleWith = (change: (doc: Record<string, unknown>) => void) => {
      const id = randomUUID();
      const doc: Record<string, unknown> = structuredClone({
        ...sale,
        id,
        receiptNo: `MAIN-${till.terminal}-9${id.slice(0, 5)}`,
      });
      change(doc);
      return { id, kind: 'sale', payload: doc };
    };
    const shiftOpen = (openingFloatMinor: number) => {
      const id = randomUUID();
      const payload = {
        id,
        branch: 'MAIN',
        terminal: till.terminal,
        openedBy: null,
        openedAt: at,
        openingFloatMinor,
        businessDate: sale.businessDate,
        closedBy: null,
        closedAt: null,
      };
      return { id, kind: 'shift_open', payload };
    };
    const line = (fields: object) => ({ lineNo: 1, productId: 'p1', ...fields });
    const stock = (kind: string, fields: object) => {
      const id = randomUUID();
      return { id, kind, payload: { id, branch: 'MAIN', occurredAt: at, actor: null, ...fields } };
    };
    const bad: { what: string; names: string; mutation: Omit<Mutation, 'seq'> }[] = [
      {
        what: 'year 0000',
        names: 'businessDate',
        mutation: saleWith((d) => {
          d.businessDate = '0000-01-01';
        }),
      },
      {
        what: 'offset +23:59',
        names: 'occurredAt',
        mutation: saleWith((d) => {
          d.occurredAt = '2026-03-02T10:00:00+23:59';
        }),
      },
      {
        what: 'an unknown key with NUL',
        names: 'unknown field: "ev\\u0000il"',
        mutation: saleWith((d) => {
          d['ev\u0000il'] = 1;
        }),
      },
      {
        what: 'a stock movement of 2^53 − 1',
        names: 'stockMovements.0.deltaQtyMilli',
        mutation: saleWith((d) => {
          d.stockMovements = [{ id: randomUUID(), productId: 'p1', deltaQtyMilli: Number.MAX_SAFE_INTEGER }];
        }),
      },
      {
        what: 'a stock movement one over the bound',
        names: 'stockMovements.0.deltaQtyMilli',
        mutation: saleWith((d) => {
          d.stockMovements = [
            { id: randomUUID(), productId: 'p1', deltaQtyMilli: -MAX_STOCK_DELTA_MILLI - 1 },
          ];
        }),
      },
      {
        what: 'a receipt unit cost over the bound',
        names: 'lines.0.unitCostMinor',
        mutation: stock('stock_receipt', {
          note: null,
          lines: [line({ qtyMilli: 1, unitCostMinor: MAX_AMOUNT_MINOR + 1 })],
        }),
      },
      {
        what: 'a receipt line worth over 10^12',
        names: 'lines.0',
        mutation: stock('stock_receipt', {
          note: null,
          lines: [line({ qtyMilli: 1_000_000_000, unitCostMinor: 1_000_001 })],
        }),
      },
      {
        what: 'an adjustment of zero',
        names: 'lines.0.deltaQtyMilli',
        mutation: stock('stock_adjustment', { reason: 'x', lines: [line({ deltaQtyMilli: 0 })] }),
      },
      {
        what: 'an adjustment reason with NUL',
        names: 'reason',
        mutation: stock('stock_adjustment', { reason: 'a\u0000b', lines: [line({ deltaQtyMilli: 1 })] }),
      },
      {
        what: 'a negative count',
        names: 'lines.0.countedQtyMilli',
        mutation: stock('stock_count', { note: null, lines: [line({ countedQtyMilli: -1 })] }),
      },
      {
        what: 'a count dated 1999',
        names: 'occurredAt',
        mutation: stock('stock_count', {
          note: null,
          occurredAt: '1999-12-31T23:59:59Z',
          lines: [line({ countedQtyMilli: 1 })],
        }),
      },
      {
        what: 'a transfer to its own branch',
        names: 'toBranch',
        mutation: stock('stock_transfer', { note: null, toBranch: 'MAIN', lines: [line({ qtyMilli: 1 })] }),
      },
      {
        what: 'a float of 2^53 − 1',
        names: 'openingFloatMinor',
        mutation: shiftOpen(Number.MAX_SAFE_INTEGER),
      },
      {
        what: 'a float one over the bound',
        names: 'openingFloatMinor',
        mutation: shiftOpen(MAX_AMOUNT_MINOR + 1),
      },
    ];
    const mutations: Mutation[] = [
      ...bad.map((b, i) => ({ seq: i + 1, ...b.mutation })),
      { ...real, seq: bad.length + 1 },
    ];

    const raw = await openRawSync(`http://127.0.0.1:${server.port}`, till.token);
    try {
      const welcome = await raw.request(hello({ storeId: till.storeId }));
      expect(welcome.type).toBe('welcome');
      const ack = await raw.request({ type: 'push', mutations });
      if (ack.type !== 'ack') throw new Error(`expected an ack, got ${JSON.stringify(ack)}`);
      expect(ack.results.map((r) => `${r.status}:${r.code ?? ''}`)).toEqual([
        ...bad.map(() => 'rejected:invalid_payload'),
        'applied:',
      ]);
      expect(ack.lastAppliedSeq).toBe(mutations.length);
    } finally {
      raw.close();
    }

    expect(await deviceState(db, till.deviceId)).toEqual({
      lastAppliedSeq: mutations.length,
      quarantined: bad.length,
    });
    expect((await cloudSalesOf(db, till.deviceId)).map((s) => s.id)).toEqual([real.id]);
    const reasons = await db.query<{ seq: number; reason_code: string; reason: string }>(
      'SELECT seq, reason_code, reason FROM sync_quarantine WHERE device_id = $1 ORDER BY seq',
      [till.deviceId],
    );
    expect(reasons).toHaveLength(bad.length);
    for (const [i, b] of bad.entries()) {
      const row = reasons[i]!;
      expect(row.reason_code, b.what).toBe('invalid_payload');
      expect(row.reason, b.what).toContain(b.names);
      expect(
        [...row.reason].some((c) => c.charCodeAt(0) < 0x20),
        b.what,
      ).toBe(false);
    }
    // Nothing reached the stock ledger but the valid sale's own movements.
    const [onHand] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM stock_movements WHERE abs(delta_qty_milli) > $1',
      [MAX_STOCK_DELTA_MILLI],
    );
    expect(onHand?.n).toBe(0);
  });

  it('quarantines a stock document of another branch, to an unknown branch or under a taken id, writing none', async () => {
    const { lastAppliedSeq } = await deviceState(db, till.deviceId);
    const at = new Date().toISOString();
    const doc = (kind: string, fields: object, id: string = randomUUID()) => ({
      id,
      kind,
      payload: { id, branch: 'MAIN', occurredAt: at, actor: null, note: null, ...fields },
    });
    const lines = [{ lineNo: 1, productId: 'p1', qtyMilli: 1000 }];
    const [sale] = await cloudSalesOf(db, till.deviceId);
    const refused = [
      ['wrong_branch', doc('stock_transfer', { branch: 'ELSEWHERE', toBranch: 'MAIN', lines })],
      ['unknown_branch', doc('stock_transfer', { toBranch: 'NOWHERE', lines })],
      [
        'id_conflict',
        doc('stock_count', { lines: [{ lineNo: 1, productId: 'p1', countedQtyMilli: 5 }] }, sale!.id),
      ],
    ] as const;
    const valid = doc('stock_receipt', { lines: [{ ...lines[0], unitCostMinor: 10 }] });
    const mutations: Mutation[] = [...refused.map(([, m], i) => ({ seq: lastAppliedSeq + 1 + i, ...m }))];
    mutations.push({ seq: lastAppliedSeq + 1 + refused.length, ...valid });
    const raw = await openRawSync(`http://127.0.0.1:${server.port}`, till.token);
    try {
      expect((await raw.request(hello({ storeId: till.storeId }))).type).toBe('welcome');
      const ack = await raw.request({ type: 'push', mutations });
      if (ack.type !== 'ack') throw new Error(`expected an ack, got ${JSON.stringify(ack)}`);
      expect(ack.results.map((r) => `${r.status}:${r.code ?? ''}`)).toEqual([
        ...refused.map(([code]) => `rejected:${code}`),
        'applied:',
      ]);
    } finally {
      raw.close();
    }
    const docs = await db.query<{ id: string }>('SELECT id FROM stock_documents');
    expect(docs.map((d) => d.id)).toEqual([valid.id]);
    const moved = await db.query<{ source_id: string }>(
      "SELECT DISTINCT source_id FROM stock_movements WHERE reason <> 'sale'",
    );
    expect(moved.map((m) => m.source_id)).toEqual([valid.id]);
  });
});
