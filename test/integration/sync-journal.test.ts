// The journal's check on push (docs/journal.md, docs/sync-protocol.md#journal), on every engine, over
// the raw protocol with links built by src/journal: an intact chain is stored with no break; an
// edited amount, a gap and a wrong prevHash are applied and flagged (recorded, counted on the head,
// audited, in /metrics and in the freshness report); a resend after a dropped socket adds no link and
// no break; a quarantined document keeps its link (replayed or discarded) and the next link follows;
// a push without links (an older edge) records none.
import { describe, expect, it } from 'vitest';
import { verifyStoredChains } from '../../cloud/journal/stored-chains.ts';
import { freshnessReport } from '../../cloud/reports/operations.ts';
import { discardQuarantined, listQuarantine, replayQuarantined } from '../../cloud/sync/quarantine.ts';
import type { Down } from '../../src/protocol/messages.ts';
import type { Mutation, SaleDocument } from '../../src/protocol/mutations.ts';
import { engineNames } from '../helpers/engines.ts';
import { journaled, journaledAll, newChain, type TestChain } from '../helpers/journal.ts';
import { hello, openRawSync, syncUntilDone, type Till } from '../helpers/sync.ts';
import { useSyncTenant } from '../helpers/sync-tenant.ts';

interface LinkRow {
  seq: number;
  kind: string;
  documentId: string;
  hash: string;
  breakReason: string | null;
  deviceId: string | null;
}

/** A sale with one line, every amount moved by `delta` (the arithmetic still holds). */
function repriced(m: Mutation, delta: number): Mutation {
  const doc = m.payload as SaleDocument;
  const [line, ...rest] = doc.lines;
  const [payment, ...others] = doc.payments;
  if (!line || !payment || rest.length > 0 || others.length > 0) throw new Error('a one-line sale paid once');
  return {
    ...m,
    payload: {
      ...doc,
      subtotalMinor: doc.subtotalMinor + delta,
      totalMinor: doc.totalMinor + delta,
      lines: [
        {
          ...line,
          unitPriceMinor: line.unitPriceMinor + delta,
          amountMinor: line.amountMinor + delta,
          totalMinor: line.totalMinor + delta,
        },
      ],
      payments: [
        {
          ...payment,
          amountMinor: payment.amountMinor + delta,
          tenderedMinor: payment.tenderedMinor + delta,
        },
      ],
    },
  } as Mutation;
}

describe.each(engineNames)('the journal checked on push on %s', (engine) => {
  const tenant = useSyncTenant(engine, 'Journal');
  const adminToken = `mpa_${tenant.orgId}_${'x'.repeat(24)}`;

  const chainOf = (till: Till): TestChain =>
    newChain({ orgId: tenant.orgId, branch: 'MAIN', terminal: till.terminal, storeId: till.storeId });
  const welcomed = async (till: Till, protocolVersion?: number) => {
    const raw = await openRawSync(tenant.url(), till.token);
    const reply = await raw.request(
      hello({ storeId: till.storeId, ...(protocolVersion === undefined ? {} : { protocolVersion }) }),
    );
    if (reply.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(reply)}`);
    return raw;
  };
  const push = async (till: Till, mutations: Mutation[], protocolVersion?: number) => {
    const raw = await welcomed(till, protocolVersion);
    try {
      return await raw.request({ type: 'push', mutations });
    } finally {
      raw.close();
    }
  };
  const statuses = (reply: Down) => {
    if (reply.type !== 'ack') throw new Error(`expected an ack, got ${JSON.stringify(reply)}`);
    return reply.results.map((r) => r.status);
  };
  const linksOf = (till: Till) =>
    tenant.db().query<LinkRow>(
      `SELECT journal_seq::int AS seq, kind, document_id AS "documentId", hash, break_reason AS "breakReason",
                device_id AS "deviceId"
           FROM journal_links WHERE store_id = $1 AND terminal = $2 ORDER BY journal_seq`,
      [till.storeId, till.terminal],
    );
  const headOf = async (till: Till) => {
    const [head] = await tenant
      .db()
      .query<{ seq: number; hash: string; breaks: number; org: string; branch: string }>(
        `SELECT last_seq::int AS seq, last_hash AS hash, breaks::int AS breaks, org_id AS org, branch_code AS branch
           FROM journal_heads WHERE store_id = $1 AND terminal = $2`,
        [till.storeId, till.terminal],
      );
    return head;
  };
  const breakAudits = async (till: Till) =>
    (
      await tenant
        .db()
        .query<{ details: string }>(
          "SELECT details FROM audit_logs WHERE action = 'journal.break' AND entity_id = $1 ORDER BY at, details",
          [till.deviceId],
        )
    ).map((r) => JSON.parse(r.details) as Record<string, unknown>);
  const breaksCounted = async (reason: string) => {
    const text = await (
      await fetch(`${tenant.url()}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`modernpos_journal_breaks_total{reason="${reason}"} `));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('an intact chain of every journaled kind is stored with no break, its head and the close seal with it', async () => {
    const till = await tenant.newTill('Intact');
    const opened = till.edge.store.shifts.open({ terminal: till.terminal, openingFloatMinor: 1000 });
    if (!opened.ok) throw new Error(opened.error.message);
    const shiftId = opened.value.value.id;
    till.sell(2);
    const moved = till.edge.store.shifts.moveCash(shiftId, {
      direction: 'out',
      amountMinor: 100,
      reason: 'bank',
    });
    if (!moved.ok) throw new Error(moved.error.message);
    const closed = till.edge.store.shifts.close(shiftId, {
      counted: [{ method: 'cash', countedMinor: 900 }],
    });
    if (!closed.ok) throw new Error(closed.error.message);
    const chain = chainOf(till);
    const mutations = journaledAll(chain, till.outbox());
    expect(mutations.map((m) => m.kind)).toEqual([
      'shift_open',
      'sale',
      'sale',
      'cash_movement',
      'shift_close',
    ]);

    expect(statuses(await push(till, mutations))).toEqual(Array(5).fill('applied'));
    const links = await linksOf(till);
    expect(links.map((l) => [l.seq, l.kind, l.breakReason, l.deviceId])).toEqual([
      [1, 'shift_open', null, till.deviceId],
      [2, 'sale', null, till.deviceId],
      [3, 'sale', null, till.deviceId],
      [4, 'cash_movement', null, till.deviceId],
      [5, 'shift_close', null, till.deviceId],
    ]);
    expect(links.at(-1)?.documentId).toBe(shiftId);
    expect(await headOf(till)).toEqual({
      seq: 5,
      hash: chain.hash,
      breaks: 0,
      org: tenant.orgId,
      branch: 'MAIN',
    });
    const [seal] = await tenant
      .db()
      .query<{ hash: string | null; sales: string | number | null }>(
        'SELECT seal_last_document_hash AS hash, seal_grand_sales_minor AS sales FROM shifts WHERE id = $1',
        [shiftId],
      );
    expect(seal?.hash).toBe(links[3]?.hash);
    expect(Number(seal?.sales)).toBe(0);
    expect(await breakAudits(till)).toEqual([]);
  });

  it('an edited amount, a gap and a wrong prevHash are applied and flagged: recorded, counted, audited, shown', async () => {
    const till = await tenant.newTill('Broken');
    till.sell(6);
    const [s1, s2, s3, s4, s5, s6] = till.outbox();
    const chain = chainOf(till);
    const before = {
      hash: await breaksCounted('hash_mismatch'),
      gap: await breaksCounted('gap'),
      prev: await breaksCounted('prev_hash_mismatch'),
    };
    const mutations = [
      journaled(chain, s1!),
      // Linked as the till recorded it, then its amount edited on the way.
      repriced(journaled(chain, s2!), 1000),
    ];
    chain.seq += 1; // seq 3 never arrives: a gap
    mutations.push(journaled(chain, s3!));
    mutations.push(journaled(chain, s4!, (l) => ({ ...l, prevHash: 'f'.repeat(64) })));
    // The chain goes on from the links as sent: no further break.
    mutations.push(journaled(chain, s5!), journaled(chain, s6!));

    expect(statuses(await push(till, mutations))).toEqual(Array(6).fill('applied'));
    const sold = await tenant
      .db()
      .query<{ total: string | number }>('SELECT total_minor AS total FROM sales WHERE id = $1', [s2!.id]);
    expect(Number(sold[0]?.total)).toBe((s2!.payload as SaleDocument).totalMinor + 1000);
    const links = await linksOf(till);
    expect(links.map((l) => [l.seq, l.breakReason])).toEqual([
      [1, null],
      [2, 'hash_mismatch'],
      [4, 'gap'],
      [5, 'prev_hash_mismatch'],
      [6, null],
      [7, null],
    ]);
    expect(await headOf(till)).toMatchObject({ seq: 7, hash: chain.hash, breaks: 3 });
    expect(await breakAudits(till)).toEqual(
      expect.arrayContaining([
        {
          storeId: till.storeId,
          terminal: till.terminal,
          seq: 2,
          reason: 'hash_mismatch',
          documentId: s2!.id,
        },
        { storeId: till.storeId, terminal: till.terminal, seq: 4, reason: 'gap', documentId: s3!.id },
        {
          storeId: till.storeId,
          terminal: till.terminal,
          seq: 5,
          reason: 'prev_hash_mismatch',
          documentId: s4!.id,
        },
      ]),
    );
    expect(await breakAudits(till)).toHaveLength(3);
    expect(await breaksCounted('hash_mismatch')).toBe(before.hash + 1);
    expect(await breaksCounted('gap')).toBe(before.gap + 1);
    expect(await breaksCounted('prev_hash_mismatch')).toBe(before.prev + 1);
    const devices = await freshnessReport(tenant.db(), null, new Date());
    expect(devices.find((d) => d.deviceId === till.deviceId)?.journalBreaks).toBe(3);
  });

  it("a cash movement linked in another terminal's chain than its shift's is applied and flagged", async () => {
    const till = await tenant.newTill('Elsewhere');
    const opened = till.edge.store.shifts.open({ terminal: till.terminal, openingFloatMinor: 1000 });
    if (!opened.ok) throw new Error(opened.error.message);
    const moved = till.edge.store.shifts.moveCash(opened.value.value.id, {
      direction: 'in',
      amountMinor: 500,
      reason: 'float',
    });
    if (!moved.ok) throw new Error(moved.error.message);
    const [open, movement] = till.outbox();
    const other = newChain({
      orgId: tenant.orgId,
      branch: 'MAIN',
      terminal: 'TELSEWHERE',
      storeId: till.storeId,
    });
    const mutations = [journaled(chainOf(till), open!), journaled(other, movement!)];
    expect(statuses(await push(till, mutations))).toEqual(['applied', 'applied']);
    const [link] = await tenant
      .db()
      .query<{ reason: string | null }>(
        "SELECT break_reason AS reason FROM journal_links WHERE store_id = $1 AND terminal = 'TELSEWHERE'",
        [till.storeId],
      );
    expect(link?.reason).toBe('hash_mismatch');
    expect(await breakAudits(till)).toEqual([
      {
        storeId: till.storeId,
        terminal: 'TELSEWHERE',
        seq: 1,
        reason: 'hash_mismatch',
        documentId: movement!.id,
      },
    ]);
  });

  it('a chain its edge started before it knew its tenant (genesis of no org) is taken, kept and verifies', async () => {
    const till = await tenant.newTill('Unenrolled');
    till.sell(2);
    // As an edge run without a token records: its chains start from the genesis of no org.
    const chain = newChain({ orgId: '', branch: 'MAIN', terminal: till.terminal, storeId: till.storeId });
    expect(statuses(await push(till, journaledAll(chain, till.outbox())))).toEqual(['applied', 'applied']);
    expect((await linksOf(till)).map((l) => l.breakReason)).toEqual([null, null]);
    expect(await headOf(till)).toMatchObject({ seq: 2, hash: chain.hash, breaks: 0, org: '' });
    const [verdict] = await verifyStoredChains(tenant.db(), tenant.orgId, { terminal: till.terminal });
    expect(verdict).toMatchObject({ intact: true, links: 2, firstBreak: null });
    // Another tenant's genesis is still a break.
    const other = await tenant.newTill('Foreign genesis');
    other.sell(1);
    const foreign = newChain({
      orgId: 'someone-else',
      branch: 'MAIN',
      terminal: other.terminal,
      storeId: other.storeId,
    });
    expect(statuses(await push(other, journaledAll(foreign, other.outbox())))).toEqual(['applied']);
    expect((await linksOf(other)).map((l) => l.breakReason)).toEqual(['prev_hash_mismatch']);
  });

  it('a resend after a dropped socket adds no link and flags nothing', async () => {
    const till = await tenant.newTill('Resent');
    till.sell(5);
    const chain = chainOf(till);
    const mutations = journaledAll(chain, till.outbox());
    // Dropped before the ack: the cloud may or may not have committed it.
    const before = await welcomed(till);
    before.send({ type: 'push', mutations });
    before.terminate();
    const again = await push(till, mutations);
    expect(statuses(again).every((s) => s === 'applied' || s === 'duplicate')).toBe(true);
    // Acknowledged, and sent again as if the ack was lost.
    expect(statuses(await push(till, mutations))).toEqual(Array(5).fill('duplicate'));
    const links = await linksOf(till);
    expect(links.map((l) => [l.seq, l.breakReason])).toEqual([1, 2, 3, 4, 5].map((s) => [s, null]));
    expect(await headOf(till)).toMatchObject({ seq: 5, hash: chain.hash, breaks: 0 });
    expect(await breakAudits(till)).toEqual([]);
  });

  it("a quarantined document's link is recorded and the next one follows it; discarding leaves the link", async () => {
    const till = await tenant.newTill('Quarantined');
    till.sell(2);
    const [first, second] = till.outbox();
    // The till recorded the first sale in another currency: the cloud refuses it, but it is the till's record.
    const spoiled = {
      ...first!,
      payload: { ...(first!.payload as SaleDocument), currency: 'USD' },
    } as Mutation;
    const chain = chainOf(till);
    const mutations = [journaled(chain, spoiled), journaled(chain, second!)];
    expect(statuses(await push(till, mutations))).toEqual(['rejected', 'applied']);
    const recorded = await linksOf(till);
    expect(recorded.map((l) => [l.seq, l.documentId, l.breakReason])).toEqual([
      [1, first!.id, null],
      [2, second!.id, null],
    ]);
    const [quarantined] = (await listQuarantine(tenant.db())).filter((q) => q.deviceId === till.deviceId);
    await discardQuarantined({ db: tenant.db(), actor: 'owner@example.com' }, quarantined!.id, 'wrong till');
    expect(await linksOf(till)).toEqual(recorded);
    expect(await headOf(till)).toMatchObject({ seq: 2, breaks: 0 });
  });

  it('a quarantined document HQ replays is stored, its link stays as recorded and the chain verifies', async () => {
    const till = await tenant.newTill('Replayed');
    const other = await tenant.newTill('Holder');
    // Another device holds the till's terminal: its sale is quarantined `terminal_not_owned`.
    await tenant.db().query(
      `INSERT INTO terminals (branch_id, code, device_id, created_at)
         SELECT branch_id, $1, id, now() FROM devices WHERE id = $2`,
      [till.terminal, other.deviceId],
    );
    till.sell(2);
    const chain = chainOf(till);
    expect(statuses(await push(till, journaledAll(chain, till.outbox())))).toEqual(['rejected', 'rejected']);
    const recorded = await linksOf(till);
    expect(recorded.map((l) => [l.seq, l.breakReason])).toEqual([
      [1, null],
      [2, null],
    ]);
    await tenant
      .db()
      .query('UPDATE terminals SET device_id = $1 WHERE code = $2', [till.deviceId, till.terminal]);
    for (const q of (await listQuarantine(tenant.db(), { unresolvedOnly: true })).filter(
      (x) => x.deviceId === till.deviceId,
    )) {
      expect(await replayQuarantined({ db: tenant.db(), actor: 'owner@example.com' }, q.id)).toEqual({
        status: 'applied',
      });
    }
    const stored = await tenant
      .db()
      .query<{ id: string }>('SELECT id FROM sales WHERE device_id = $1 ORDER BY id', [till.deviceId]);
    expect(stored.map((r) => r.id).sort()).toEqual(till.answered.map((s) => s.id).sort());
    expect(await linksOf(till)).toEqual(recorded);
    expect(await headOf(till)).toMatchObject({ seq: 2, hash: chain.hash, breaks: 0 });
    // Replayed as the till recorded it, the document hashes to its link: the chain verifies, no exception.
    const [verdict] = await verifyStoredChains(tenant.db(), tenant.orgId, { terminal: till.terminal });
    expect(verdict).toMatchObject({ intact: true, links: 2, firstBreak: null, exceptions: [] });
  });

  it('a push without links (an older edge, or documents from before the upgrade) records none', async () => {
    const old = await tenant.newTill('Older', { journal: false });
    old.sell(2);
    expect(statuses(await push(old, old.outbox(), 5))).toEqual(['applied', 'applied']);
    const current = await tenant.newTill('Pre-journal', { journal: false });
    current.sell(1);
    await syncUntilDone(tenant.url(), current);
    for (const till of [old, current]) {
      expect(await linksOf(till)).toEqual([]);
      expect(await headOf(till)).toBeUndefined();
    }
  });
});
