// Property-based sync fuzzing over a real socket, on every engine: push frames carry genuine edge
// documents with one field (or an unknown key, or the kind) replaced by a value at or beyond a bound.
// Whatever is generated, every mutation ends applied, duplicate, held or quarantined, and the
// device's queue keeps moving: each ack moves lastAppliedSeq to the batch's last seq, and a genuine
// sale afterwards is applied. The cloud logs no internal error.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { lineLogger } from '../../src/log.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { createTill, hello, openRawSync, type RawSyncClient, type Till } from '../helpers/sync.ts';

/** A fixed seed keeps CI repeatable; SYNC_FUZZ_SEED explores others (fast-check prints a failing run's seed). */
const FUZZ_SEED = Number(process.env.SYNC_FUZZ_SEED ?? 20_261_201);

/** Values at, just past, or far past a bound, and shapes no schema expects. */
const edgeValues: unknown[] = [
  0,
  -1,
  1,
  0.5,
  2 ** 31 - 1,
  2 ** 31,
  1_000_000_000_001,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 1,
  -Number.MAX_SAFE_INTEGER,
  1e308,
  '',
  'x'.repeat(10_000),
  'NUL\u0000byte',
  'bell\u0007',
  '0000-01-01',
  '1999-12-31',
  '2101-01-01',
  '2026-02-30',
  '2026-01-01T10:00:00+23:59',
  '2026-01-01T10:00:00+14:00',
  '2026-01-01T10:00:00-14:01',
  'MAIN-T1-000001',
  null,
  true,
  [],
  {},
  { '\u0000': 1 },
];

type Where = 'doc' | 'line' | 'payment' | 'movement';

interface Spec {
  where: Where;
  /** Which field of that object (modulo its keys), or an unknown key when `unknownKey`. */
  field: number;
  value: unknown;
  unknownKey: string | undefined;
  kind: string | undefined;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  where: fc.constantFrom<Where>('doc', 'line', 'payment', 'movement'),
  field: fc.nat(40),
  value: fc.constantFrom(...edgeValues),
  unknownKey: fc.option(fc.constantFrom('extra', 'bad\u0000key', '\u0007', 'x'.repeat(300)), {
    nil: undefined,
  }),
  kind: fc.option(fc.constantFrom('refund', 'shift_open', 'cash_movement', 'shift_close', 'teleport'), {
    freq: 5,
    nil: undefined,
  }),
});

/** A genuine document with the spec's change applied. */
function mutate(payload: Record<string, unknown>, spec: Spec): Record<string, unknown> {
  const doc = structuredClone(payload);
  const target =
    spec.where === 'doc'
      ? doc
      : ((
          doc[spec.where === 'line' ? 'lines' : spec.where === 'payment' ? 'payments' : 'stockMovements'] as
            | Record<string, unknown>[]
            | undefined
        )?.[0] ?? doc);
  if (spec.unknownKey !== undefined) target[spec.unknownKey] = spec.value;
  else {
    const keys = Object.keys(target);
    target[keys[spec.field % keys.length]!] = spec.value;
  }
  return doc;
}

describe.each(engineNames)('sync fuzzing on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  let db: ClosableSqlDatabase;
  let till: Till;
  let raw: RawSyncClient;
  let seq = 0;
  const orgId = uniqueId('fuzz');
  const logs: string[] = [];

  /** Pushes a batch; asserts the ack settles every mutation and moves the queue to its last seq. */
  const pushSettled = async (mutations: Mutation[]) => {
    const reply = await raw.request({ type: 'push', mutations }, 60_000);
    if (reply.type !== 'ack') throw new Error(`expected an ack, got ${JSON.stringify(reply).slice(0, 500)}`);
    expect(reply.results.map((r) => r.seq)).toEqual(mutations.map((m) => m.seq));
    for (const r of reply.results) expect(['applied', 'duplicate', 'held', 'rejected']).toContain(r.status);
    expect(reply.lastAppliedSeq).toBe(mutations.at(-1)!.seq);
    return reply.results;
  };
  /** A genuine sale recorded by the till, as its payload. */
  const genuine = (): Mutation => {
    till.sell(1);
    const m = till.outbox().at(-1)!;
    return { ...m, seq: ++seq };
  };

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId, name: 'Fuzz', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_sync_fuzz_token_0123456789abc',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
      logger: lineLogger('cloud', 'info', (line) => logs.push(line)),
    });
    till = await createTill(db, orgId, 'Fuzzed till');
    raw = await openRawSync(`http://127.0.0.1:${server.port}`, till.token);
    const welcome = await raw.request(hello({ storeId: till.storeId, terminals: [till.terminal] }));
    expect(welcome.type).toBe('welcome');
  });
  afterAll(async () => {
    raw?.terminate();
    till?.edge.destroy();
    await server?.stop().catch(() => {});
    await db?.close();
    await p?.destroy();
  });

  it('settles every mutation and keeps the queue moving, whatever the documents carry', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 6 }), async (specs) => {
        const batch = specs.map((spec) => {
          const m = genuine();
          return {
            ...m,
            kind: spec.kind ?? m.kind,
            payload: mutate(m.payload as Record<string, unknown>, spec),
          };
        });
        await pushSettled(batch);
        // The queue moves: a genuine sale right after is applied.
        const [after] = await pushSettled([genuine()]);
        expect(after!.status).toBe('applied');
      }),
      { numRuns: 30, seed: FUZZ_SEED, endOnFailure: true },
    );
    expect(logs.filter((l) => /internal error/i.test(l))).toEqual([]);
    // Every mutation the device sent is accounted for: applied as a sale or kept in the quarantine.
    const [{ sales, kept }] = (await db.query<{ sales: number; kept: number }>(
      `SELECT (SELECT count(*)::int FROM sales WHERE device_id = $1) AS sales,
              (SELECT count(*)::int FROM sync_quarantine WHERE device_id = $1) AS kept`,
      [till.deviceId],
    )) as [{ sales: number; kept: number }];
    expect(sales + kept).toBe(seq);
  });
});
