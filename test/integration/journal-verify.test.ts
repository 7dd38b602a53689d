// The journal as the cloud stores it, verified and exported (docs/journal.md), on the real Postgres:
// tills push over the real sync path and their chains are recorded (test/helpers/journal.ts); then
// rows are tampered with directly in SQL. `modernpos journal verify` exits 0 on intact chains and 1
// naming the first broken link (edited: hash_mismatch; deleted: document_missing, and with its link
// gap; reordered: at the first; cut off: truncated); pre-journal documents are reported and never
// fail; a document HQ discarded from the quarantine, or held there as recorded, is an exception. `GET /v1/journal` streams the
// links (filters, auth, bad input) and docs/journal-verify.mjs checks an export, intact and tampered.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudApi } from '../../cloud/http/openapi.ts';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { discardQuarantined, replayQuarantined } from '../../cloud/sync/quarantine.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { conformanceProblems } from '../../src/http/openapi/conformance.ts';
import { chainVerdictSchema, type JournalEntry, journalEntrySchema } from '../../src/protocol/journal.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestPlatform, NO_PG, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { type FixtureChain, type FixtureLink, recordJournal } from '../helpers/journal-fixture.ts';
import { createTill, sleep, syncUntilDone, type Till } from '../helpers/sync.ts';

const SCRIPT = fileURLToPath(new URL('../../docs/journal-verify.mjs', import.meta.url));

describe.skipIf(NO_PG)('the journal verified and exported on the real Postgres', () => {
  const orgId = uniqueId('jv');
  const masterKey = randomBytes(32);
  let platform: TestPlatform;
  let db: ClosableSqlDatabase;
  let server: CloudServer;
  let owner: { email: string; password: string };
  let root: string;
  const tills: Till[] = [];
  const url = () => `http://127.0.0.1:${server.port}`;
  const env = () => ({
    MODERNPOS_PG_URL: PG_URL!,
    MODERNPOS_MASTER_KEY: masterKey.toString('base64'),
    MODERNPOS_CONTROL_DB: platform.config.controlDatabase,
    MODERNPOS_TEMPLATE_DB: platform.config.templateDatabase,
    MODERNPOS_BACKUP_DIR: join(root, 'backups'),
  });
  const verify = (...flags: string[]) => runCli(['journal', 'verify', orgId, ...flags], env());

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'modernpos-journal-'));
    platform = await createTestPlatform('postgres', { keyring: createKeyring(masterKey) });
    const made = await onboardTenant(platform.tenants, { orgId, name: 'Journal', currency: 'EUR' });
    owner = { email: made.ownerEmail, password: made.ownerPassword };
    db = platform.engine.openDatabase(tenantDatabaseName(orgId));
    server = await startCloudServer({
      platform: { ...platform, close: async () => {} },
      adminToken: `mpa_${orgId}_${'x'.repeat(24)}`,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
  }, 120_000);
  afterAll(async () => {
    for (const till of tills) till.edge.destroy();
    await server?.stop().catch(() => {});
    await db?.close();
    await platform?.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  /**
   * A till's chain: `pre` sales pushed before the journal started, then a shift (open, three sales,
   * a cash movement, a sale, close) or, with `shift: false`, five sales; all pushed, then recorded.
   */
  async function journaledTill(
    options: { pre?: number; shift?: boolean } = {},
  ): Promise<[Till, FixtureChain]> {
    const pre = options.pre ?? 0;
    // A till with `pre` sales starts as an edge from before the journal, then is upgraded.
    const till = await createTill(db, orgId, `Till ${uniqueId()}`, 'MAIN', { journal: pre === 0 });
    tills.push(till);
    if (pre > 0) {
      till.sell(pre);
      // The chain starts after them: their instants are earlier than its first link's.
      await sleep(5);
      await till.edge.reopen({ journal: true });
    }
    if (options.shift === false) till.sell(5);
    else {
      const store = till.edge.store;
      const opened = store.shifts.open({ terminal: till.terminal, openingFloatMinor: 1000 });
      if (!opened.ok) throw new Error(opened.error.message);
      const shiftId = opened.value.value.id;
      till.sell(3);
      const moved = store.shifts.moveCash(shiftId, {
        direction: 'out',
        amountMinor: 200,
        reason: 'bank drop',
      });
      if (!moved.ok) throw new Error(moved.error.message);
      till.sell(1);
      const closed = store.shifts.close(shiftId, { counted: [{ method: 'cash', countedMinor: 1500 }] });
      if (!closed.ok) throw new Error(closed.error.message);
    }
    await syncUntilDone(url(), till);
    return [till, recordJournal(orgId, till, { preJournal: pre })];
  }

  const saleLinks = (chain: FixtureChain) => chain.links.filter((l) => l.kind === 'sale');

  async function deleteSale(id: string): Promise<void> {
    await db.query('DELETE FROM sale_lines WHERE sale_id = $1', [id]);
    await db.query('DELETE FROM payments WHERE sale_id = $1', [id]);
    await db.query('DELETE FROM sales WHERE id = $1', [id]);
  }

  /**
   * Puts the sale of `link`, as the till pushed it, in the sync quarantine (unresolved, or marked
   * with `resolution` in SQL); answers its payload.
   */
  async function quarantineRow(
    till: Till,
    link: FixtureLink,
    resolution: string | null = null,
  ): Promise<Record<string, unknown>> {
    const mutation = till.outbox().find((m) => m.id === link.documentId)!;
    await db.query(
      `INSERT INTO sync_quarantine (id, device_id, seq, mutation_id, kind, payload, reason_code, reason, received_at,
                                    resolved_at, resolution)
       VALUES ($1, $2, $3, $4, 'sale', $5, 'arithmetic_mismatch', 'test', now(), $6, $7)`,
      [
        `q-${link.documentId}`,
        till.deviceId,
        1_000_000 + mutation.seq,
        link.documentId,
        JSON.stringify(mutation.payload),
        resolution === null ? null : new Date().toISOString(),
        resolution,
      ],
    );
    return mutation.payload as Record<string, unknown>;
  }

  async function deleteLink(chain: FixtureChain, seq: number): Promise<void> {
    await db.query('DELETE FROM journal_links WHERE store_id = $1 AND terminal = $2 AND journal_seq = $3', [
      chain.key.storeId,
      chain.key.terminal,
      seq,
    ]);
  }

  async function verdictOf(terminal: string) {
    const run = await verify('--terminal', terminal, '--json');
    const verdicts = chainVerdictSchema.array().parse(JSON.parse(run.out));
    expect(verdicts).toHaveLength(1);
    return { code: run.code, verdict: verdicts[0]! };
  }

  async function login(credentials: { email: string; password: string }): Promise<string> {
    const res = await fetch(`${url()}/v1/orgs/${orgId}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { token: string }).token;
  }

  async function exportOf(
    query: string,
    token: string,
  ): Promise<{ status: number; type: string; text: string }> {
    const res = await fetch(`${url()}/v1/journal?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  const entriesOf = (text: string): JournalEntry[] =>
    text === ''
      ? []
      : text
          .trimEnd()
          .split('\n')
          .map((l) => journalEntrySchema.parse(JSON.parse(l)));

  function runScript(org: string, text: string) {
    const file = join(root, `${uniqueId('export')}.ndjson`);
    writeFileSync(file, text);
    return spawnSync(process.execPath, [SCRIPT, org, file], { encoding: 'utf8' });
  }

  it('exits 0 on intact chains, reports pre-journal documents without failing, and audits the run', async () => {
    const [till, chain] = await journaledTill({ pre: 2 });
    expect(chain.links.map((l) => l.kind)).toEqual([
      'shift_open',
      'sale',
      'sale',
      'sale',
      'cash_movement',
      'sale',
      'shift_close',
    ]);
    const run = await verify('--terminal', till.terminal);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      `intact  store ${till.storeId} branch MAIN terminal ${till.terminal}: 7 link(s); 2 pre-journal document(s)`,
    );
    expect(run.out).toMatch(/1 chain\(s\), 0 broken; 2 pre-journal document\(s\), 0 exception\(s\)\.$/);
    const { code, verdict } = await verdictOf(till.terminal);
    expect(code).toBe(0);
    expect(verdict).toEqual({
      storeId: till.storeId,
      branch: 'MAIN',
      terminal: till.terminal,
      intact: true,
      links: 7,
      headSeq: 7,
      firstBreak: null,
      preJournal: 2,
      exceptions: [],
    });
    const audited = await db.query<{ actor: string; details: string }>(
      "SELECT actor, details FROM audit_logs WHERE action = 'journal.verified' AND entity_id = $1",
      [`*/${till.terminal}`],
    );
    expect(audited.length).toBeGreaterThanOrEqual(2);
    expect(audited[0]!.actor).toBe('operator (cli)');
    expect(JSON.parse(audited[0]!.details)).toEqual({ chains: 1, broken: [] });
    // Filters that match nothing: no chain, nothing broken.
    const none = await verify('--branch', 'NOWHERE');
    expect(none.code).toBe(0);
    expect(none.out).toContain('no journal chains match');
    // The CLI's conventions: bad usage or input 2, an unknown org 1, one line on stderr each.
    for (const argv of [
      ['journal', 'check', orgId],
      ['journal', 'verify'],
      ['journal', 'verify', orgId, '--terminal', 't1'],
      ['journal', 'verify', 'Not An Org'],
    ]) {
      const bad = await runCli(argv, env());
      expect(bad.code, argv.join(' ')).toBe(2);
      expect(bad.err).toMatch(/^modernpos: /);
    }
    const unknown = await runCli(['journal', 'verify', uniqueId('nobody')], env());
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^modernpos: .*nobody/);
  });

  it('names an edited sale: hash_mismatch at its seq, exit 1', async () => {
    const [till, chain] = await journaledTill();
    const edited = saleLinks(chain)[1]!;
    await db.query('UPDATE sales SET total_minor = total_minor + 1 WHERE id = $1', [edited.documentId]);
    const run = await verify('--terminal', till.terminal);
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      `BROKEN  store ${till.storeId} branch MAIN terminal ${till.terminal}: seq ${edited.seq} hash_mismatch (document ${edited.documentId})`,
    );
    expect(run.out).toMatch(/1 chain\(s\), 1 broken/);
    const { verdict } = await verdictOf(till.terminal);
    expect(verdict.firstBreak).toEqual({
      seq: edited.seq,
      reason: 'hash_mismatch',
      documentId: edited.documentId,
    });
  });

  it('names a deleted sale document_missing, and with its link deleted too a gap at its seq', async () => {
    const [till, chain] = await journaledTill();
    const gone = saleLinks(chain)[0]!;
    await deleteSale(gone.documentId);
    expect((await verdictOf(till.terminal)).verdict.firstBreak).toEqual({
      seq: gone.seq,
      reason: 'document_missing',
      documentId: gone.documentId,
    });
    await deleteLink(chain, gone.seq);
    const { code, verdict } = await verdictOf(till.terminal);
    expect(code).toBe(1);
    expect(verdict.firstBreak).toEqual({ seq: gone.seq, reason: 'gap', documentId: null });
  });

  it('finds two sales swapped in the chain at the first of them', async () => {
    const [till, chain] = await journaledTill();
    const [a, , b] = saleLinks(chain);
    const where = 'store_id = $1 AND terminal = $2 AND journal_seq = $3';
    const key = [chain.key.storeId, chain.key.terminal];
    await db.query(`UPDATE journal_links SET journal_seq = 1000000 WHERE ${where}`, [...key, a!.seq]);
    await db.query(`UPDATE journal_links SET journal_seq = $4 WHERE ${where}`, [...key, b!.seq, a!.seq]);
    await db.query(`UPDATE journal_links SET journal_seq = $4 WHERE ${where}`, [...key, 1000000, b!.seq]);
    const { code, verdict } = await verdictOf(till.terminal);
    expect(code).toBe(1);
    expect(verdict.firstBreak).toEqual({
      seq: a!.seq,
      reason: 'prev_hash_mismatch',
      documentId: b!.documentId,
    });
  });

  it('finds a chain cut off its end truncated at the first missing seq', async () => {
    const [till, chain] = await journaledTill({ shift: false });
    for (const link of chain.links.slice(3)) {
      await deleteSale(link.documentId);
      await deleteLink(chain, link.seq);
    }
    const { code, verdict } = await verdictOf(till.terminal);
    expect(code).toBe(1);
    expect(verdict).toMatchObject({
      links: 3,
      headSeq: 5,
      firstBreak: { seq: 4, reason: 'truncated', documentId: null },
    });
  });

  it('takes a document HQ discarded from the quarantine, or held there as recorded, as an exception, not a break', async () => {
    const [till, chain] = await journaledTill({ shift: false });
    const [discarded, held, unaudited] = chain.links;
    const payloadOf = (id: string) =>
      till.outbox().find((m) => m.id === id)!.payload as { totalMinor: number };
    const quarantine = async (link: FixtureLink, resolution: string | null) => {
      await deleteSale(link.documentId);
      await quarantineRow(till, link, resolution);
    };
    await quarantine(discarded!, null);
    await quarantine(held!, null);
    // Marked discarded in SQL, without HQ's audited discard.
    await quarantine(unaudited!, 'discarded: by hand in SQL');
    await discardQuarantined(
      { db, actor: 'auditor@example.test' },
      `q-${discarded!.documentId}`,
      'voided at the till',
    );
    const { code, verdict } = await verdictOf(till.terminal);
    expect(code).toBe(1);
    expect(verdict.exceptions).toEqual([
      {
        seq: discarded!.seq,
        documentId: discarded!.documentId,
        reason: expect.stringMatching(
          /^discarded from the quarantine by auditor@example\.test at .*voided at the till/,
        ),
      },
      {
        seq: held!.seq,
        documentId: held!.documentId,
        reason: expect.stringMatching(
          /^held in the quarantine since .* \(arithmetic_mismatch\); not stored yet$/,
        ),
      },
    ]);
    expect(verdict.firstBreak).toEqual({
      seq: unaudited!.seq,
      reason: 'document_missing',
      documentId: unaudited!.documentId,
    });

    // Held again, but with another total than the till recorded: still a break.
    const edited = { ...payloadOf(unaudited!.documentId) };
    edited.totalMinor += 1;
    await db.query(
      'UPDATE sync_quarantine SET resolved_at = NULL, resolution = NULL, payload = $2 WHERE id = $1',
      [`q-${unaudited!.documentId}`, JSON.stringify(edited)],
    );
    expect((await verdictOf(till.terminal)).verdict.firstBreak).toMatchObject({
      seq: unaudited!.seq,
      reason: 'document_missing',
    });
    // Held as recorded: the chain is intact, with three exceptions.
    await db.query('UPDATE sync_quarantine SET payload = $2 WHERE id = $1', [
      `q-${unaudited!.documentId}`,
      JSON.stringify(payloadOf(unaudited!.documentId)),
    ]);
    const text = await verify('--terminal', till.terminal);
    expect(text.code).toBe(0);
    expect(text.out).toContain('3 exception(s)');
    expect(text.out).toContain(
      `exception: store ${till.storeId} terminal ${till.terminal} seq ${discarded!.seq}`,
    );
  });

  it('takes a document HQ replayed corrected from the quarantine as an audited exception, and nothing less', async () => {
    const [till, chain] = await journaledTill({ shift: false });
    const [corrected, unaudited] = saleLinks(chain);
    // Each sale was refused into the quarantine as the till pushed it (its rows never stored).
    const quarantine = async (link: FixtureLink) => {
      await db.query('DELETE FROM stock_movements WHERE source_id = $1', [link.documentId]);
      await deleteSale(link.documentId);
      return quarantineRow(till, link);
    };
    const original = await quarantine(corrected!);
    await replayQuarantined({ db, actor: 'owner@example.test' }, `q-${corrected!.documentId}`, {
      ...original,
      cashier: 'Corrected Name',
    });
    const stored = await db.query<{ cashier: string }>('SELECT cashier FROM sales WHERE id = $1', [
      corrected!.documentId,
    ]);
    expect(stored).toEqual([{ cashier: 'Corrected Name' }]);
    const { code, verdict } = await verdictOf(till.terminal);
    expect(code).toBe(0);
    expect(verdict.exceptions).toEqual([
      {
        seq: corrected!.seq,
        documentId: corrected!.documentId,
        reason: expect.stringMatching(
          /^corrected from the quarantine by owner@example\.test at .*: the document stored is HQ's correction/,
        ),
      },
    ]);

    // The corrected sale edited again afterwards is no longer HQ's correction: a break.
    await db.query("UPDATE sales SET cashier = 'Edited later' WHERE id = $1", [corrected!.documentId]);
    expect((await verdictOf(till.terminal)).verdict.firstBreak).toEqual({
      seq: corrected!.seq,
      reason: 'hash_mismatch',
      documentId: corrected!.documentId,
    });
    await db.query("UPDATE sales SET cashier = 'Corrected Name' WHERE id = $1", [corrected!.documentId]);
    expect((await verdictOf(till.terminal)).code).toBe(0);

    // The till's payload no longer hashing to the link (edited in the quarantine): a break again.
    await db.query('UPDATE sync_quarantine SET payload = $2 WHERE id = $1', [
      `q-${corrected!.documentId}`,
      JSON.stringify({ ...original, totalMinor: Number(original.totalMinor) + 1 }),
    ]);
    expect((await verdictOf(till.terminal)).verdict.firstBreak).toEqual({
      seq: corrected!.seq,
      reason: 'hash_mismatch',
      documentId: corrected!.documentId,
    });
    await db.query('UPDATE sync_quarantine SET payload = $2 WHERE id = $1', [
      `q-${corrected!.documentId}`,
      JSON.stringify(original),
    ]);

    // A stored sale edited in SQL, its quarantine row marked replayed corrected without HQ's audited
    // replay: a break.
    await db.query("UPDATE sales SET cashier = 'Edited by hand' WHERE id = $1", [unaudited!.documentId]);
    await quarantineRow(till, unaudited!, 'replayed corrected (applied)');
    expect((await verdictOf(till.terminal)).verdict.firstBreak).toEqual({
      seq: unaudited!.seq,
      reason: 'hash_mismatch',
      documentId: unaudited!.documentId,
    });
  });

  it('exports the chain as JSON lines for reports readers, filtered, and refuses bad input and other roles', async () => {
    const [till, chain] = await journaledTill({ pre: 1 });
    const token = await login(owner);
    const all = await exportOf(`terminal=${till.terminal}`, token);
    expect(all.status).toBe(200);
    expect(all.type).toMatch(/^application\/x-ndjson/);
    expect(
      conformanceProblems(
        cloudApi(),
        'GET',
        `/v1/journal?terminal=${till.terminal}`,
        200,
        all.type,
        all.text,
      ),
    ).toEqual([]);
    const entries = entriesOf(all.text);
    expect(entries.map((e) => [e.seq, e.kind, e.documentId, e.prevHash, e.hash])).toEqual(
      chain.links.map((l) => [l.seq, l.kind, l.documentId, l.prevHash, l.hash]),
    );
    for (const e of entries) {
      expect(createHash('sha256').update(e.canonical).digest('hex')).toBe(e.hash);
      expect(e).toMatchObject({ storeId: till.storeId, branch: 'MAIN', terminal: till.terminal });
    }
    // Filters: the branch, and [from, to) on when each link was recorded.
    expect(entriesOf((await exportOf(`terminal=${till.terminal}&branch=MAIN`, token)).text)).toHaveLength(7);
    expect((await exportOf(`terminal=${till.terminal}&branch=OTHER`, token)).text).toBe('');
    const mid = chain.links[3]!.recordedAt;
    const from = entriesOf((await exportOf(`terminal=${till.terminal}&from=${mid}`, token)).text);
    expect(from.map((e) => e.seq)).toEqual(chain.links.filter((l) => l.recordedAt >= mid).map((l) => l.seq));
    const to = entriesOf((await exportOf(`terminal=${till.terminal}&to=${mid}`, token)).text);
    expect(to.map((e) => e.seq)).toEqual(chain.links.filter((l) => l.recordedAt < mid).map((l) => l.seq));

    // A viewer reads reports, so the journal; a role that may not read reports is refused.
    const viewer = { email: `viewer-${uniqueId()}@example.test`, password: 'viewer-password-123' };
    const made = await fetch(`${url()}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ role: 'viewer', name: 'Vera', ...viewer }),
    });
    expect(made.status).toBe(201);
    const viewerToken = await login(viewer);
    expect((await exportOf(`terminal=${till.terminal}`, viewerToken)).status).toBe(200);
    // A role of HQ that may not read reports (none is seeded: the four roles are owner, manager,
    // cashier (no HQ login) and viewer).
    await db.query(
      `INSERT INTO roles (id, name, permissions) VALUES ('clerk', 'Clerk', '["catalog:write"]') ON CONFLICT DO NOTHING`,
    );
    await db.query("UPDATE users SET role_id = 'clerk' WHERE email = $1", [viewer.email]);
    const refused = await exportOf(`terminal=${till.terminal}`, await login(viewer));
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).error.code).toBe('forbidden');
    // Back to a role the tills know: a pull of the user must find its role at the edge.
    await db.query("UPDATE users SET role_id = 'viewer' WHERE email = $1", [viewer.email]);
    const anonymous = await fetch(`${url()}/v1/journal?terminal=${till.terminal}`);
    expect(anonymous.status).toBe(401);

    for (const query of [
      '',
      'terminal=t1',
      `terminal=${till.terminal}&from=yesterday`,
      `terminal=${till.terminal}&from=2026-01-01T00:00:00`,
      `terminal=${till.terminal}&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`,
      `terminal=${till.terminal}&limit=10`,
    ]) {
      const bad = await exportOf(query, token);
      expect(bad.status, query).toBe(400);
      expect(JSON.parse(bad.text).error.code, query).toBe('invalid_input');
    }
  });

  it('docs/journal-verify.mjs finds an export intact, and the first broken link of a tampered one', async () => {
    const [till] = await journaledTill();
    const token = await login(owner);
    const { text } = await exportOf(`terminal=${till.terminal}`, token);
    const intact = runScript(orgId, text);
    expect(intact.stderr).toBe('');
    expect(intact.stdout.trim()).toBe('intact');
    expect(intact.status).toBe(0);
    // Another org's genesis: the first link does not follow it.
    const wrongOrg = runScript('someone_else', text);
    expect(wrongOrg.status).toBe(1);
    expect(wrongOrg.stdout).toMatch(/seq 1: prevHash is not the previous hash/);

    // A sale edited in the database: its canonical text no longer hashes to its hash.
    const entries = entriesOf(text);
    const edited = entries.find((e) => e.kind === 'sale')!;
    await db.query('UPDATE sales SET total_minor = total_minor + 1 WHERE id = $1', [edited.documentId]);
    const tampered = runScript(orgId, (await exportOf(`terminal=${till.terminal}`, token)).text);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toContain(`seq ${edited.seq}: sha256(canonical) is not the hash`);

    // The export itself edited: a line dropped, a canonical text re-spaced.
    const lines = text.trimEnd().split('\n');
    const dropped = runScript(orgId, [...lines.slice(0, 2), ...lines.slice(3)].join('\n'));
    expect(dropped.status).toBe(1);
    expect(dropped.stdout).toContain('seq 4: seq is not 3');
    const spaced = lines.map((l, i) => {
      if (i !== 0) return l;
      const e = JSON.parse(l) as JournalEntry;
      return JSON.stringify({ ...e, canonical: JSON.stringify(JSON.parse(e.canonical), null, 1) });
    });
    const respaced = runScript(orgId, spaced.join('\n'));
    expect(respaced.status).toBe(1);
    expect(respaced.stdout).toContain('seq 1: canonical is not in canonical form');
  });
});
