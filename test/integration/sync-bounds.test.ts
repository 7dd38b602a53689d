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
import { MAX_AMOUNT_MINOR, MAX_QTY_MILLI, MAX_STOCK_DELTA_MILLI } from '../../src/domain/bounds.ts';
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
    const cashierEvent = (change: (e: Record<string, unknown>) => void) => {
      const id = randomUUID();
      const payload: Record<string, unknown> = {
        id,
        event: 'signed_in',
        branch: 'MAIN',
        terminal: till.terminal,
        occurredAt: at,
        userId: 'u1',
        code: '1001',
        sessionId: randomUUID(),
        documentId: null,
        approval: null,
        detail: null,
      };
      change(payload);
      return { id, kind: 'cashier_event', payload };
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
        what: 'refundedElsewhere over the quantity bound',
        names: 'refundedElsewhere.0.qtyMilli',
        mutation: saleWith((d) => {
          d.refundedElsewhere = [{ lineNo: 1, qtyMilli: MAX_QTY_MILLI + 1 }];
        }),
      },
      {
        what: 'refundedElsewhere naming a line twice',
        names: 'refundedElsewhere',
        mutation: saleWith((d) => {
          d.refundedElsewhere = [
            { lineNo: 1, qtyMilli: 1 },
            { lineNo: 1, qtyMilli: 2 },
          ];
        }),
      },
      {
        what: 'refundedElsewhere with a negative quantity',
        names: 'refundedElsewhere.0.qtyMilli',
        mutation: saleWith((d) => {
          d.refundedElsewhere = [{ lineNo: 1, qtyMilli: -1000 }];
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
      {
        what: 'a cashier event of an unknown kind',
        names: 'event',
        mutation: cashierEvent((e) => {
          e.event = 'became_owner';
        }),
      },
      {
        what: 'a cashier event with NUL in its detail',
        names: 'detail',
        mutation: cashierEvent((e) => {
          e.detail = 'a\u0000b';
        }),
      },
      {
        what: 'a cashier event with a detail over the bound',
        names: 'detail',
        mutation: cashierEvent((e) => {
          e.detail = 'x'.repeat(501);
        }),
      },
      {
        what: 'a cashier code that is no code',
        names: 'code',
        mutation: cashierEvent((e) => {
          e.code = 'drop table';
        }),
      },
      {
        what: 'an approval dated year 0000',
        names: 'approval.approvedAt',
        mutation: cashierEvent((e) => {
          e.approval = { approverUserId: 'm1', approvedAt: '0000-01-01T00:00:00Z', reasons: ['no_sale'] };
        }),
      },
      {
        what: 'an approval for nothing',
        names: 'approval.reasons',
        mutation: cashierEvent((e) => {
          e.approval = { approverUserId: 'm1', approvedAt: at, reasons: [] };
        }),
      },
      {
        what: 'a sale approved for an unknown reason',
        names: 'approval.reasons.0',
        mutation: saleWith((d) => {
          d.approval = { approverUserId: 'm1', approvedAt: at, reasons: ['because'] };
        }),
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
    // No cashier event reached the audit log.
    const [audited] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_logs WHERE device_id = $1',
      [till.deviceId],
    );
    expect(audited?.n).toBe(0);
  });

  it.each(['/v1/device/sales', '/v1/device/receipts'])(
    'answers bad requests to the device route %s (protocol 5) with a clear error, echoing no control character',
    async (route) => {
      const base = `http://127.0.0.1:${server.port}${route}`;
      const get = async (path: string, headers: Record<string, string>, method = 'GET') => {
        const res = await fetch(`${base}${path}`, { method, headers });
        return { status: res.status, text: await res.text() };
      };
      const auth = { authorization: `Bearer ${till.token}` };
      const cases: [string, string, Record<string, string>, number, string][] = [
        ['a NUL in the id', '/a%00b', auth, 404, 'not_found'],
        ['an id of 10,000 characters', `/${'x'.repeat(10_000)}`, auth, 404, 'not_found'],
        ['an unknown id', `/${randomUUID()}`, auth, 404, 'not_found'],
        ['an unknown receipt number', '/MAIN-T1-999999', auth, 404, 'not_found'],
        ['a control character in a receipt number', '/MAIN-T1%1b-000001', auth, 404, 'not_found'],
        ['no token', `/${randomUUID()}`, {}, 401, 'unauthorized'],
        ['a malformed token', `/${randomUUID()}`, { authorization: 'Bearer mpd_' }, 401, 'unauthorized'],
        [
          'an HQ session token',
          `/${randomUUID()}`,
          { authorization: `Bearer mph_${orgId}_${'x'.repeat(32)}` },
          401,
          'unauthorized',
        ],
        [
          'an unknown tenant',
          `/${randomUUID()}`,
          { authorization: `Bearer mpd_nosuchorg_${'x'.repeat(32)}` },
          401,
          'unauthorized',
        ],
      ];
      for (const [what, path, headers, status, code] of cases) {
        const res = await get(path, headers);
        expect(res.status, what).toBe(status);
        expect(JSON.parse(res.text).error.code, what).toBe(code);
        expect(
          [...res.text].some((c) => c.charCodeAt(0) < 0x20),
          what,
        ).toBe(false);
      }
      expect((await get(`/${randomUUID()}`, auth, 'POST')).status).toBe(404);
    },
  );

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
