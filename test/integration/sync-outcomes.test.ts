// What became of quarantined mutations reaches the edge (protocol 4), on every engine: after HQ
// replays or discards one, or a held refund is released, the edge's next sync (or, while it is
// connected, the cloud's `resolved`) records the outcome on its outbox entry and `quarantined` drops.
// An edge of protocol 3 gets exactly the frames it knew.
import { describe, expect, it } from 'vitest';
import { discardQuarantined, listQuarantine, replayQuarantined } from '../../cloud/sync/quarantine.ts';
import { startSyncLoop } from '../../edge/sync/sync-loop.ts';
import type { SaleDocument } from '../../src/protocol/mutations.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/version.ts';
import { engineNames } from '../helpers/engines.ts';
import { hello, openRawSync, syncTill, type Till } from '../helpers/sync.ts';
import { useSyncTenant } from '../helpers/sync-tenant.ts';
import { waitFor } from '../helpers/wait.ts';

/** The outbox entry's result, as the edge records it. */
const resultOf = (till: Till, seq: number) =>
  (
    till.edge.store.database.sqlite.prepare('SELECT result FROM outbox WHERE seq = ?').get(seq) as
      | { result: string | null }
      | undefined
  )?.result;

const quarantinedAt = (till: Till) => till.edge.store.outbox.status(new Date()).quarantined;

/** Makes the till's last recorded sale one the cloud refuses (`wrong_currency`); returns its seq and payload. */
function spoilLastSale(till: Till): { seq: number; original: SaleDocument } {
  const last = till.outbox().at(-1)!;
  const original = last.payload as SaleDocument;
  till.edge.store.database.sqlite
    .prepare('UPDATE outbox SET payload = ? WHERE seq = ?')
    .run(JSON.stringify({ ...original, currency: 'USD' }), last.seq);
  return { seq: last.seq, original };
}

describe.each(engineNames)('quarantine outcomes reach the edge on %s', (engine) => {
  const tenant = useSyncTenant(engine, 'Outcomes');
  const { orgId } = tenant;
  const url = () => tenant.url();
  const newTill = (name: string) => tenant.newTill(name);
  const quarantineIdOf = async (till: Till, seq: number) =>
    (await listQuarantine(tenant.db())).find((q) => q.deviceId === till.deviceId && q.seq === seq)!.id;
  const hq = { db: () => tenant.db(), actor: 'owner@example.com' };

  it('drops a mutation HQ replayed from quarantined after the next sync, and records it applied', async () => {
    const till = await newTill('Replayed');
    till.sell(1);
    const { seq, original } = spoilLastSale(till);
    expect(await syncTill(url(), till)).toMatchObject({ rejected: 1 });
    expect(quarantinedAt(till)).toBe(1);
    expect(resultOf(till, seq)).toBe('rejected');

    const id = await quarantineIdOf(till, seq);
    expect(await replayQuarantined({ db: hq.db(), actor: hq.actor }, id, original)).toEqual({
      status: 'applied',
    });
    await syncTill(url(), till);
    expect(quarantinedAt(till)).toBe(0);
    expect(resultOf(till, seq)).toBe('resolved_applied');
    // Resolved, the entry is pruned after its retention like any acknowledged one.
    expect(till.edge.store.outbox.prune(new Date(Date.now() + 60_000).toISOString())).toBeGreaterThan(0);
    expect(resultOf(till, seq)).toBeUndefined();
  });

  it('drops a mutation HQ discarded from quarantined after the next sync, and records it discarded', async () => {
    const till = await newTill('Discarded');
    till.sell(2);
    const { seq } = spoilLastSale(till);
    await syncTill(url(), till);
    expect(quarantinedAt(till)).toBe(1);

    await discardQuarantined({ db: hq.db(), actor: hq.actor }, await quarantineIdOf(till, seq), 'test sale');
    await syncTill(url(), till);
    expect(quarantinedAt(till)).toBe(0);
    expect(resultOf(till, seq)).toBe('resolved_discarded');
    expect(resultOf(till, seq - 1)).toBe('applied');
  });

  it('records a held refund as applied once its original arrived, never counting it quarantined', async () => {
    const seller = await newTill('Seller');
    const refunder = await newTill('Refunder');
    seller.sell(1);
    const original = seller.outbox().at(-1)!.payload as SaleDocument;
    const refundId = crypto.randomUUID();
    const refund: SaleDocument = {
      ...original,
      id: refundId,
      kind: 'refund',
      originalSaleId: original.id,
      terminal: refunder.terminal,
      receiptNo: `MAIN-${refunder.terminal}-R000001`,
      changeMinor: 0,
      flags: [],
      lines: original.lines.map((l) => ({ ...l, originalLineNo: l.lineNo, flags: [] })),
      payments: [
        {
          method: 'cash',
          amountMinor: original.totalMinor,
          tenderedMinor: original.totalMinor,
          changeMinor: 0,
          reference: null,
        },
      ],
      stockMovements: [],
    };
    const store = refunder.edge.store;
    const seq = store.database.sqlite.transaction(() =>
      store.outbox.append('refund', refundId, refund, new Date().toISOString()),
    )();
    expect(await syncTill(url(), refunder)).toMatchObject({ held: 1 });
    expect(resultOf(refunder, seq)).toBe('held');
    // Held entries are kept until resolved, whatever their age.
    store.outbox.prune(new Date(Date.now() + 60_000).toISOString());
    expect(resultOf(refunder, seq)).toBe('held');

    await syncTill(url(), seller);
    await syncTill(url(), refunder);
    expect(quarantinedAt(refunder)).toBe(0);
    expect(resultOf(refunder, seq)).toBe('resolved_applied');
  });

  it('tells a connected edge at once, without a reconnect', async () => {
    const till = await newTill('Live');
    till.sell(1);
    const { seq, original } = spoilLastSale(till);
    const loop = startSyncLoop(till.edge.store, { cloudUrl: url(), token: till.token });
    try {
      await waitFor(() => quarantinedAt(till) === 1, 20_000, 'the rejection');
      expect(tenant.server().sync.sessionCount(orgId)).toBe(1);
      const id = await quarantineIdOf(till, seq);
      // As the HQ route does: the resolution is signalled to every cloud process after it committed.
      await replayQuarantined(
        {
          db: hq.db(),
          actor: hq.actor,
          onResolved: (deviceId) => void tenant.server().signals.quarantineResolved(orgId, deviceId),
        },
        id,
        original,
      );
      await waitFor(() => quarantinedAt(till) === 0, 20_000, 'the outcome');
      expect(resultOf(till, seq)).toBe('resolved_applied');
      expect(loop.connected()).toBe(true);
      expect(tenant.server().sync.sessionCount(orgId)).toBe(1);
    } finally {
      await loop.stop();
    }
  });

  it('sends an edge of protocol 3 no outcome frames, and answers its outcomes request unexpected_message', async () => {
    const till = await newTill('Old');
    till.sell(1);
    const { seq } = spoilLastSale(till);
    const mutation = till.outbox().at(-1)!;
    const old = await openRawSync(url(), till.token);
    const current = await openRawSync(url(), till.token);
    try {
      const storeId = till.storeId;
      expect(
        await old.request(hello({ protocolVersion: 3, storeId, terminals: [till.terminal] })),
      ).toMatchObject({ type: 'welcome', protocolVersion: 3 });
      expect(await current.request(hello({ storeId, terminals: [till.terminal] }))).toMatchObject({
        type: 'welcome',
        protocolVersion: PROTOCOL_VERSION,
      });
      expect(await old.request({ type: 'push', mutations: [mutation] })).toMatchObject({
        type: 'ack',
        results: [{ seq, status: 'rejected', code: 'wrong_currency' }],
      });
      await discardQuarantined(
        {
          db: hq.db(),
          actor: hq.actor,
          onResolved: (deviceId) => void tenant.server().signals.quarantineResolved(orgId, deviceId),
        },
        await quarantineIdOf(till, seq),
        'test',
      );
      // Both sessions of the device were told in the same turn; only the protocol 4 one sent it.
      expect(await current.next(20_000)).toEqual({ type: 'resolved' });
      expect(await current.request({ type: 'outcomes', seqs: [seq, seq + 1] })).toEqual({
        type: 'outcomes',
        outcomes: [{ seq, id: mutation.id, status: 'discarded', code: 'wrong_currency' }],
      });
      expect(await old.request({ type: 'ping', at: 1 })).toEqual({ type: 'pong', at: 1 });
      expect(await old.request({ type: 'outcomes', seqs: [seq] })).toMatchObject({
        type: 'error',
        code: 'unexpected_message',
      });
      expect(old.isOpen()).toBe(true);
    } finally {
      old.close();
      current.close();
    }
  });

  it('refuses an outcomes request whose seqs are not ascending, or too many, as invalid_message', async () => {
    const till = await newTill('Bad');
    const raw = await openRawSync(url(), till.token);
    try {
      await raw.request(hello({ storeId: till.storeId }));
      for (const seqs of [[], [2, 1], [1, 1], Array.from({ length: 501 }, (_, i) => i + 1)]) {
        expect(await raw.request({ type: 'outcomes', seqs })).toMatchObject({
          type: 'error',
          code: 'invalid_message',
        });
      }
      expect(await raw.request({ type: 'outcomes', seqs: [1] })).toEqual({ type: 'outcomes', outcomes: [] });
    } finally {
      raw.close();
    }
  });
});
