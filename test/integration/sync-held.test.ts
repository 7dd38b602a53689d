// A refund pushed before its original sale is held, over the wire, on every engine: an edge of
// protocol 3 is told `held` and its sync counts it as held (never quarantined); an edge of protocol 2,
// which knows no `held`, is told `rejected` with the code `awaiting_original`. When the original's
// device pushes, the refund is applied once, under the device that recorded it.
import { describe, expect, it } from 'vitest';
import type { Mutation, SaleDocument } from '../../src/protocol/mutations.ts';
import { engineNames } from '../helpers/engines.ts';
import { hello, openRawSync, syncTill, type Till } from '../helpers/sync.ts';
import { useSyncTenant } from '../helpers/sync-tenant.ts';

/** A full refund, recorded on `refunder`'s terminal, of the last sale `seller` recorded. */
function refundOfLastSale(seller: Till, refunder: Till, receiptSeq: number): Mutation {
  const original = seller.outbox().at(-1)!.payload as SaleDocument;
  const id = crypto.randomUUID();
  const refund: SaleDocument = {
    ...original,
    id,
    kind: 'refund',
    originalSaleId: original.id,
    terminal: refunder.terminal,
    receiptNo: `MAIN-${refunder.terminal}-R${String(receiptSeq).padStart(6, '0')}`,
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
  return { seq: 0, id, kind: 'refund', payload: refund };
}

describe.each(engineNames)('refunds held for their original on %s', (engine) => {
  const tenant = useSyncTenant(engine, 'Held');
  const url = () => tenant.url();
  const newTill = (name: string) => tenant.newTill(name);
  const saleCount = async (id: string) =>
    (await tenant.db().query<{ n: number }>('SELECT count(*)::int AS n FROM sales WHERE id = $1', [id]))[0]!
      .n;

  for (const protocolVersion of [2, 3]) {
    it(`answers a protocol ${protocolVersion} edge ${protocolVersion >= 3 ? 'held' : 'rejected (awaiting_original)'}, and applies the refund when the original arrives`, async () => {
      const seller = await newTill('Seller');
      const refunder = await newTill('Refunder');
      seller.sell(1);
      const refund = refundOfLastSale(seller, refunder, 1);
      const raw = await openRawSync(url(), refunder.token);
      try {
        const welcome = await raw.request(
          hello({ protocolVersion, storeId: refunder.storeId, terminals: [refunder.terminal] }),
        );
        expect(welcome.type).toBe('welcome');
        const ack = await raw.request({ type: 'push', mutations: [{ ...refund, seq: 1 }] });
        expect(ack).toMatchObject({
          type: 'ack',
          lastAppliedSeq: 1,
          results: [
            { seq: 1, status: protocolVersion >= 3 ? 'held' : 'rejected', code: 'awaiting_original' },
          ],
        });
        expect(await saleCount(refund.id)).toBe(0);
        expect(await syncTill(url(), seller)).toMatchObject({ pushed: 1 });
        expect(await saleCount(refund.id)).toBe(1);
        const again = await raw.request({ type: 'push', mutations: [{ ...refund, seq: 1 }] });
        expect(again).toMatchObject({ type: 'ack', results: [{ seq: 1, status: 'duplicate' }] });
      } finally {
        raw.close();
      }
    });
  }

  it("counts a held refund in the edge's sync summary, never as quarantined", async () => {
    const seller = await newTill('Seller');
    const refunder = await newTill('Refunder');
    seller.sell(1);
    const refund = refundOfLastSale(seller, refunder, 1);
    // The refunding till recorded it: it sits in its outbox like any document.
    const store = refunder.edge.store;
    store.database.sqlite.transaction(() =>
      store.outbox.append('refund', refund.id, refund.payload as SaleDocument, new Date().toISOString()),
    )();
    expect(await syncTill(url(), refunder)).toMatchObject({ pushed: 0, held: 1, rejected: 0 });
    expect(store.outbox.status(new Date())).toMatchObject({ pending: 0, quarantined: 0 });
    expect(await syncTill(url(), seller)).toMatchObject({ pushed: 1 });
    expect(await saleCount(refund.id)).toBe(1);
  });
});
