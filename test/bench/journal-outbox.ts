// The nightly bench's journal links: an edge's outbox rewritten so each journaled document carries
// its link in its terminal's chain (built with src/journal, as the edge builds them), or none at all,
// so one run times the same push with and without the cloud's check on push.
import type { Database } from 'better-sqlite3';
import { genesisHash, linkHash } from '../../src/journal/chain.ts';
import { journalKinds } from '../../src/protocol/journal.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { journalDocumentOf } from '../helpers/journal.ts';

/** Whose chains the links are in (the terminal is each document's own). */
export interface OutboxChains {
  orgId: string;
  branch: string;
  storeId: string;
}

/** Rewrites every journaled payload of the outbox: with its link when `chains` is given, else without any. */
export function setJournalLinks(sqlite: Database, chains: OutboxChains | null): number {
  const rows = sqlite
    .prepare('SELECT seq, mutation_id AS id, kind, payload FROM outbox ORDER BY seq')
    .all() as { seq: number; id: string; kind: string; payload: string }[];
  const update = sqlite.prepare('UPDATE outbox SET payload = ? WHERE seq = ?');
  const heads = new Map<string, { seq: number; hash: string }>();
  let linked = 0;
  sqlite.transaction(() => {
    for (const r of rows) {
      if (!(journalKinds as readonly string[]).includes(r.kind)) continue;
      const payload = JSON.parse(r.payload) as Record<string, unknown>;
      delete payload.journal;
      if (chains) {
        const terminal = payload.terminal;
        // The bench's outbox holds sales only: each names its terminal.
        if (typeof terminal !== 'string') throw new Error(`outbox seq ${r.seq} names no terminal`);
        const head = heads.get(terminal) ?? {
          seq: 0,
          hash: genesisHash({
            orgId: chains.orgId,
            branch: chains.branch,
            terminal,
            storeId: chains.storeId,
          }),
        };
        const seq = head.seq + 1;
        const m = { seq: r.seq, id: r.id, kind: r.kind, payload } as Mutation;
        const hash = linkHash(seq, head.hash, journalDocumentOf(m));
        payload.journal = { terminal, seq, prevHash: head.hash, hash };
        heads.set(terminal, { seq, hash });
        linked++;
      }
      update.run(JSON.stringify(payload), r.seq);
    }
  })();
  return linked;
}
