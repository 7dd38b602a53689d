// The cloud's reader of stored journal chains (cloud/journal) on every engine (PGlite, and the real
// Postgres when MODERNPOS_TEST_PG_URL is set), in batches smaller than a chain so every page
// boundary is crossed: a chain pushed over the real sync path and recorded verifies intact and
// exports link for link; an edit to each kind of stored document (shift open, cash movement, shift
// close counts and seal, a sale line, a sale's approval) is the hash mismatch of its own link; a
// chain whose head row was deleted is still found, walked and exported.
import { describe, expect, it } from 'vitest';
import { verifyTenantJournal } from '../../cloud/cli/journal.ts';
import { journalEntries } from '../../cloud/journal/export.ts';
import { listChains, verifyStoredChain } from '../../cloud/journal/stored-chains.ts';
import type { JournalEntry } from '../../src/protocol/journal.ts';
import { engineNames } from '../helpers/engines.ts';
import { type FixtureChain, recordJournal } from '../helpers/journal-fixture.ts';
import { syncUntilDone, type Till } from '../helpers/sync.ts';
import { type SyncTenant, useSyncTenant } from '../helpers/sync-tenant.ts';

async function journaledShift(tenant: SyncTenant): Promise<[Till, FixtureChain]> {
  const till = await tenant.newTill('Journal');
  const store = till.edge.store;
  const opened = store.shifts.open({ terminal: till.terminal, openingFloatMinor: 1000 });
  if (!opened.ok) throw new Error(opened.error.message);
  const shiftId = opened.value.value.id;
  till.sell(3);
  const moved = store.shifts.moveCash(shiftId, { direction: 'in', amountMinor: 300, reason: 'change roll' });
  if (!moved.ok) throw new Error(moved.error.message);
  const closed = store.shifts.close(shiftId, {
    counted: [
      { method: 'cash', countedMinor: 1500 },
      { method: 'card', countedMinor: 0 },
    ],
  });
  if (!closed.ok) throw new Error(closed.error.message);
  await syncUntilDone(tenant.url(), till);
  return [till, recordJournal(tenant.orgId, till)];
}

describe.each(engineNames)('stored journal chains (%s)', (engine) => {
  const tenant = useSyncTenant(engine, 'JournalRead');

  async function firstBreak(till: Till) {
    const [chain] = await listChains(tenant.db(), tenant.orgId, { terminal: till.terminal });
    return (await verifyStoredChain(tenant.db(), chain!, 2)).firstBreak;
  }

  it('verifies a chain read two links at a time and exports it link for link', async () => {
    const [till, chain] = await journaledShift(tenant);
    const [stored] = await listChains(tenant.db(), tenant.orgId, { terminal: till.terminal });
    expect(stored).toEqual({ key: chain.key, lastSeq: 6, startedAt: chain.links[0]!.recordedAt });
    for (const batch of [1, 2, 6, 1000]) {
      expect(await verifyStoredChain(tenant.db(), stored!, batch)).toMatchObject({
        intact: true,
        links: 6,
        headSeq: 6,
        firstBreak: null,
      });
    }
    const entries: JournalEntry[] = [];
    for await (const e of journalEntries(tenant.db(), tenant.orgId, { terminal: till.terminal }, 4))
      entries.push(e);
    expect(entries.map((e) => [e.seq, e.kind, e.hash])).toEqual(
      chain.links.map((l) => [l.seq, l.kind, l.hash]),
    );
    // The CLI's run: one snapshot, audited.
    const verdicts = await verifyTenantJournal(
      tenant.db(),
      tenant.orgId,
      { terminal: till.terminal },
      'test',
    );
    expect(verdicts.map((v) => v.intact)).toEqual([true]);
  });

  it.each([
    ['shift_open', 'UPDATE shifts SET opening_float_minor = opening_float_minor + 1 WHERE id = $1'],
    ['cash_movement', 'UPDATE cash_movements SET reason = $1 || reason WHERE id = $1'],
    [
      'shift_close',
      "UPDATE shift_counts SET counted_minor = counted_minor + 1 WHERE shift_id = $1 AND method = 'card'",
    ],
    ['shift_close', 'UPDATE shifts SET seal_grand_sales_minor = seal_grand_sales_minor - 1 WHERE id = $1'],
    ['shift_close', 'UPDATE shifts SET seal_last_document_hash = NULL WHERE id = $1'],
    ['sale', "UPDATE sale_lines SET name = 'Edited' WHERE sale_id = $1 AND line_no = 1"],
    [
      'sale',
      "UPDATE sales SET approved_by_user_id = 'u1', approved_at = now(), approval_reasons = '[\"price_override\"]' WHERE id = $1",
    ],
  ] as const)('names an edit to a stored %s its hash mismatch (%s)', async (kind, edit) => {
    const [till, chain] = await journaledShift(tenant);
    const link = chain.links.find((l) => l.kind === kind)!;
    await tenant.db().query(edit, [link.documentId]);
    expect(await firstBreak(till)).toEqual({
      seq: link.seq,
      reason: 'hash_mismatch',
      documentId: link.documentId,
    });
  });

  it('names a shift close whose close was undone document_missing, and a sale turned refund a hash mismatch', async () => {
    const [till, chain] = await journaledShift(tenant);
    const sale = chain.links.find((l) => l.kind === 'sale')!;
    await tenant.db().query("UPDATE sales SET kind = 'refund' WHERE id = $1", [sale.documentId]);
    expect(await firstBreak(till)).toEqual({
      seq: sale.seq,
      reason: 'hash_mismatch',
      documentId: sale.documentId,
    });
    await tenant.db().query("UPDATE sales SET kind = 'sale' WHERE id = $1", [sale.documentId]);
    const close = chain.links.at(-1)!;
    await tenant.db().query('DELETE FROM shift_counts WHERE shift_id = $1', [close.documentId]);
    await tenant.db().query('UPDATE shifts SET closed_at = NULL WHERE id = $1', [close.documentId]);
    expect(await firstBreak(till)).toEqual({
      seq: close.seq,
      reason: 'document_missing',
      documentId: close.documentId,
    });
  });

  it('still walks and exports a chain whose head row was deleted, from the tenant id', async () => {
    const [till, chain] = await journaledShift(tenant);
    await tenant
      .db()
      .query('DELETE FROM journal_heads WHERE store_id = $1 AND terminal = $2', [
        till.storeId,
        till.terminal,
      ]);
    const [stored] = await listChains(tenant.db(), tenant.orgId, { terminal: till.terminal });
    expect(stored).toEqual({ key: chain.key, lastSeq: undefined, startedAt: chain.links[0]!.recordedAt });
    expect(await listChains(tenant.db(), tenant.orgId, { terminal: till.terminal, branch: 'OTHER' })).toEqual(
      [],
    );
    expect(await verifyStoredChain(tenant.db(), stored!, 2)).toMatchObject({
      intact: true,
      links: 6,
      headSeq: 6,
    });
    const entries: JournalEntry[] = [];
    for await (const e of journalEntries(tenant.db(), tenant.orgId, { terminal: till.terminal }))
      entries.push(e);
    expect(entries).toHaveLength(6);
    const sale = chain.links.find((l) => l.kind === 'sale')!;
    await tenant
      .db()
      .query('UPDATE sales SET total_minor = total_minor + 1 WHERE id = $1', [sale.documentId]);
    expect(await firstBreak(till)).toEqual({
      seq: sale.seq,
      reason: 'hash_mismatch',
      documentId: sale.documentId,
    });
  });
});
