// The write freeze of a move, on the source cluster: the tenant's role may no longer log in, its
// sessions are ended once their transaction is over (or after `drainMs`, when a transaction that is
// still open is rolled back: its edge is told to retry and pushes it again), so no write can reach
// the source after the point the move reads as its final position. Lifted by letting the role log
// in again. The control-plane side (the resolver holding leases) is tenant_moves.frozen.
import { quoteIdent, type SqlQueryable } from '../../../src/db/sql.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Fences the source; returns how many sessions were ended while still in a transaction. */
export async function fenceSource(admin: SqlQueryable, role: string, drainMs: number): Promise<number> {
  await admin.exec(`ALTER ROLE ${quoteIdent(role)} WITH NOLOGIN`);
  const deadline = Date.now() + drainMs;
  let cut = 0;
  for (;;) {
    const sessions = await admin.query<{ pid: number; state: string | null }>(
      'SELECT pid, state FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()',
      [role],
    );
    if (sessions.length === 0) return cut;
    const late = Date.now() >= deadline;
    for (const s of sessions) {
      // An idle session holds no transaction: ending it loses nothing. One in a transaction is left
      // to finish, until the drain time is up.
      if (s.state === 'idle' || late) {
        if (late && s.state !== 'idle') cut++;
        await admin.query('SELECT pg_terminate_backend($1)', [s.pid]);
      }
    }
    await sleep(late ? 50 : 20);
  }
}

/** Lifts the fence: the tenant's role logs in again. */
export async function unfenceSource(admin: SqlQueryable, role: string): Promise<void> {
  await admin.exec(`ALTER ROLE ${quoteIdent(role)} WITH LOGIN`);
}
