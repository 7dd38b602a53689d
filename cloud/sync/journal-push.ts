// The journal's check on push (docs/journal.md, docs/sync-protocol.md#journal): each link a batch
// carries is checked against its chain's head and recorded, whatever became of its document (applied,
// held or quarantined: the chain is the till's record). A link that does not follow is a journal
// break: recorded with its reason, counted on the head and audited, never refused (the money was
// taken). Cost per batch with links: one locked read of the heads, one insert of the links, one
// upsert of the heads (and a read of shifts for cash movements and closes, of links for a resend).
import { randomUUID } from 'node:crypto';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { genesisHash, linkHash } from '../../src/journal/chain.ts';
import type { JournalBreakReason } from '../../src/protocol/journal.ts';
import { type JournaledMutation, journaledMutations } from './journal-documents.ts';
import type { ParsedMutation } from './parsed-mutation.ts';
import { unnestInsert } from './unnest.ts';

/** Whose chains a batch extends: the tenant, the device's branch and the edge database it is bound to. */
export interface JournalScope {
  orgId: string;
  branchCode: string;
  /** The pushing device's `store_id` (null before its first hello bound it: no link is recorded). */
  storeId: string | null;
  deviceId: string;
}

/** A link the check on push flagged. */
export interface JournalBreak {
  storeId: string;
  terminal: string;
  seq: number;
  reason: JournalBreakReason;
  documentId: string;
}

interface Head {
  /** The tenant its genesis names: this one, or none for a chain started before its edge knew it. */
  orgId: string;
  lastSeq: number;
  lastHash: string;
  startedAt: string;
  /** Breaks flagged by this batch, added to the stored count. */
  breaks: number;
  touched: boolean;
}

interface Checked {
  j: JournaledMutation;
  reason: JournalBreakReason | null;
}

/**
 * Checks and records the links of `batch` (the fresh mutations of a push, in seq order); returns the
 * breaks recorded. Nothing is read or written when no mutation carries a link (pre-journal edges).
 */
export async function recordJournal(
  tx: SqlQueryable,
  scope: JournalScope,
  batch: readonly ParsedMutation[],
  receivedAt: string,
): Promise<JournalBreak[]> {
  const journaled = journaledMutations(batch, receivedAt);
  const { storeId } = scope;
  if (journaled.length === 0 || storeId === null) return [];
  const terminals = [...new Set(journaled.map((j) => j.link.terminal))];
  const heads = await lockHeads(tx, storeId, terminals);
  const shiftTerminals = await shiftTerminalsOf(tx, batch, journaled);
  const checked: Checked[] = [];
  const behind: JournaledMutation[] = [];
  for (const j of journaled) {
    const head = heads.get(j.link.terminal);
    // At or before the head: this link was recorded already (a resend), or it is out of place.
    if (head && j.link.seq <= head.lastSeq) {
      behind.push(j);
      continue;
    }
    const orgId = head?.orgId ?? genesisOrg(j, { ...scope, storeId });
    const reason = checkLink(j, head, { ...scope, storeId, orgId }, shiftTerminals);
    checked.push({ j, reason });
    heads.set(j.link.terminal, {
      orgId,
      lastSeq: j.link.seq,
      lastHash: j.link.hash,
      startedAt: head?.startedAt ?? j.recordedAt,
      breaks: head?.breaks ?? 0,
      touched: true,
    });
  }
  checked.push(...(await resentOrOutOfPlace(tx, storeId, behind)));
  const flagged = checked.filter((c): c is Checked & { reason: JournalBreakReason } => c.reason !== null);
  // Which links were inserted matters only for the breaks (one stored already is not flagged twice).
  const inserted = await insertLinks(tx, scope, storeId, checked, flagged.length > 0);
  const breaks = flagged.filter((c) => inserted.has(key(c.j.link.terminal, c.j.link.seq)));
  for (const { j } of breaks) {
    const head = heads.get(j.link.terminal)!;
    head.breaks += 1;
    head.touched = true;
  }
  await upsertHeads(tx, scope, storeId, heads);
  const found = breaks.map(({ j, reason }) => ({
    storeId,
    terminal: j.link.terminal,
    seq: j.link.seq,
    reason,
    documentId: j.documentId,
  }));
  await auditBreaks(tx, scope.deviceId, found, receivedAt);
  return found;
}

const key = (terminal: string, seq: number) => `${terminal}\u0000${seq}`;

/**
 * The tenant a new chain's genesis names. An edge run before it knew its tenant (started without a
 * token, enrolled later) started its chains from the genesis of no org (docs/journal.md#the-chain-key-and-genesis):
 * a first link from that genesis starts a chain of no org; any other is checked against this tenant's.
 */
function genesisOrg(j: JournaledMutation, scope: JournalScope & { storeId: string }): string {
  const unenrolled = genesisHash({
    orgId: '',
    branch: scope.branchCode,
    terminal: j.link.terminal,
    storeId: scope.storeId,
  });
  return j.link.seq === 1 && j.link.prevHash === unenrolled ? '' : scope.orgId;
}

/** What is wrong with a link that should extend its chain, or null when it does. */
function checkLink(
  j: JournaledMutation,
  head: Head | undefined,
  scope: JournalScope & { storeId: string },
  shiftTerminals: ReadonlyMap<string, string>,
): JournalBreakReason | null {
  const { link } = j;
  if (link.seq !== (head ? head.lastSeq + 1 : 1)) return 'gap';
  const prev = head
    ? head.lastHash
    : genesisHash({
        orgId: scope.orgId,
        branch: scope.branchCode,
        terminal: link.terminal,
        storeId: scope.storeId,
      });
  if (link.prevHash !== prev) return 'prev_hash_mismatch';
  if (j.document === undefined || linkHash(link.seq, link.prevHash, j.document) !== link.hash) {
    return 'hash_mismatch';
  }
  // A link in another terminal's chain than its document's: the document does not belong to this chain.
  const terminal = typeof j.terminal === 'object' ? shiftTerminals.get(j.terminal.shiftId) : j.terminal;
  if (terminal !== undefined && terminal !== link.terminal) return 'hash_mismatch';
  return null;
}

/** Each chain's head, locked for the rest of the transaction. */
async function lockHeads(
  tx: SqlQueryable,
  storeId: string,
  terminals: readonly string[],
): Promise<Map<string, Head>> {
  const rows = await tx.query<{
    terminal: string;
    last_seq: string | number;
    last_hash: string;
    started_at: Date | string;
    org_id: string;
  }>(
    `SELECT terminal, last_seq, last_hash, started_at, org_id FROM journal_heads
      WHERE store_id = $1 AND terminal = ANY($2::text[]) FOR UPDATE`,
    [storeId, terminals],
  );
  return new Map(
    rows.map((r) => [
      r.terminal,
      {
        orgId: r.org_id,
        lastSeq: Number(r.last_seq),
        lastHash: r.last_hash,
        startedAt: new Date(r.started_at).toISOString(),
        breaks: 0,
        touched: false,
      },
    ]),
  );
}

/** The terminals of the shifts the batch's journaled cash movements and closes name. */
async function shiftTerminalsOf(
  tx: SqlQueryable,
  batch: readonly ParsedMutation[],
  journaled: readonly JournaledMutation[],
): Promise<Map<string, string>> {
  const wanted = new Set(
    journaled.flatMap((j) => (typeof j.terminal === 'object' ? [j.terminal.shiftId] : [])),
  );
  const found = new Map<string, string>();
  if (wanted.size === 0) return found;
  // A shift opened in this batch is known from it, whether or not its open was stored.
  for (const { parsed } of batch) {
    if (!('code' in parsed) && parsed.kind === 'shift_open' && wanted.has(parsed.doc.id)) {
      found.set(parsed.doc.id, parsed.doc.terminal);
    }
  }
  const rest = [...wanted].filter((id) => !found.has(id));
  if (rest.length > 0) {
    const rows = await tx.query<{ id: string; terminal: string }>(
      'SELECT id, terminal FROM shifts WHERE id = ANY($1::text[])',
      [rest],
    );
    for (const r of rows) found.set(r.id, r.terminal);
  }
  return found;
}

/**
 * Links at or before their chain's head: the very link already recorded (the same hash) is a resend
 * that the device-seq dedupe did not catch (a device re-registered and pushing its outbox again)
 * and is skipped; any other is out of place, a `gap`.
 */
async function resentOrOutOfPlace(
  tx: SqlQueryable,
  storeId: string,
  behind: readonly JournaledMutation[],
): Promise<Checked[]> {
  if (behind.length === 0) return [];
  const rows = await tx.query<{ terminal: string; journal_seq: string | number; hash: string }>(
    `SELECT l.terminal, l.journal_seq, l.hash FROM journal_links l
       JOIN unnest($2::text[], $3::int8[]) AS b(terminal, seq) ON l.terminal = b.terminal AND l.journal_seq = b.seq
      WHERE l.store_id = $1`,
    [storeId, behind.map((j) => j.link.terminal), behind.map((j) => j.link.seq)],
  );
  const stored = new Map(rows.map((r) => [key(r.terminal, Number(r.journal_seq)), r.hash]));
  return behind
    .filter((j) => stored.get(key(j.link.terminal, j.link.seq)) !== j.link.hash)
    .map((j) => ({ j, reason: 'gap' as const }));
}

/** The links, once each (a link already stored is left as it is); the keys inserted, if asked. */
async function insertLinks(
  tx: SqlQueryable,
  scope: JournalScope,
  storeId: string,
  checked: readonly Checked[],
  answerInserted: boolean,
): Promise<Set<string>> {
  const rows = await unnestInsert<Checked, { terminal: string; journal_seq: string | number }>(
    tx,
    'journal_links',
    [
      ['store_id', 'text', () => storeId],
      ['branch_code', 'text', () => scope.branchCode],
      ['terminal', 'text', (c) => c.j.link.terminal],
      ['journal_seq', 'int8', (c) => c.j.link.seq],
      ['kind', 'text', (c) => c.j.kind],
      ['document_id', 'text', (c) => c.j.documentId],
      ['prev_hash', 'text', (c) => c.j.link.prevHash],
      ['hash', 'text', (c) => c.j.link.hash],
      ['recorded_at', 'timestamptz', (c) => c.j.recordedAt],
      ['device_id', 'text', () => scope.deviceId],
      ['break_reason', 'text', (c) => c.reason],
    ],
    checked,
    {
      onConflict: 'ON CONFLICT DO NOTHING',
      ...(answerInserted ? { returning: 'terminal, journal_seq' } : {}),
    },
  );
  return new Set(rows.map((r) => key(r.terminal, Number(r.journal_seq))));
}

/** The heads this batch moved: inserted at a chain's first link, else moved on with their breaks added. */
async function upsertHeads(
  tx: SqlQueryable,
  scope: JournalScope,
  storeId: string,
  heads: ReadonlyMap<string, Head>,
): Promise<void> {
  const touched = [...heads].filter(([, h]) => h.touched);
  await unnestInsert<(typeof touched)[number]>(
    tx,
    'journal_heads',
    [
      ['store_id', 'text', () => storeId],
      ['branch_code', 'text', () => scope.branchCode],
      ['terminal', 'text', ([terminal]) => terminal],
      ['org_id', 'text', ([, h]) => h.orgId],
      ['last_seq', 'int8', ([, h]) => h.lastSeq],
      ['last_hash', 'text', ([, h]) => h.lastHash],
      ['started_at', 'timestamptz', ([, h]) => h.startedAt],
      ['breaks', 'int8', ([, h]) => h.breaks],
    ],
    touched,
    {
      onConflict: `ON CONFLICT (store_id, terminal) DO UPDATE SET last_seq = EXCLUDED.last_seq,
        last_hash = EXCLUDED.last_hash, breaks = journal_heads.breaks + EXCLUDED.breaks`,
    },
  );
}

/** One tenant audit entry per break (`journal.break`), in one statement. */
async function auditBreaks(
  tx: SqlQueryable,
  deviceId: string,
  breaks: readonly JournalBreak[],
  at: string,
): Promise<void> {
  await unnestInsert<JournalBreak>(
    tx,
    'audit_logs',
    [
      ['id', 'text', () => randomUUID()],
      ['at', 'timestamptz', () => at],
      ['actor', 'text', () => `device:${deviceId}`],
      ['action', 'text', () => 'journal.break'],
      ['entity', 'text', () => 'device'],
      ['entity_id', 'text', () => deviceId],
      [
        'details',
        'text',
        (b) =>
          JSON.stringify({
            storeId: b.storeId,
            terminal: b.terminal,
            seq: b.seq,
            reason: b.reason,
            documentId: b.documentId,
          }),
      ],
    ],
    breaks,
  );
}
