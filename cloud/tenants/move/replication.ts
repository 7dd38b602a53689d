// PostgreSQL logical replication for an online move: a publication of the tenant's tables on the
// source, a subscription on the target that copies them and then streams every change, and the
// checks that say whether the source can replicate at all (else the move copies inside a freeze).
import { quoteIdent, quoteLiteral, type SqlQueryable } from '../../../src/db/sql.ts';
import { AppError } from '../../../src/errors.ts';
import { type TableInfo, tableList } from './tables.ts';

/** The publication, subscription and replication slot of `orgId`'s move (≤ 55 characters). */
export const replicationName = (orgId: string) => `mpmove_${orgId}`;

/**
 * Why the move cannot use logical replication, or undefined when it can: the source's `wal_level`
 * must be `logical` and its admin role able to replicate, the target's admin a superuser (PostgreSQL
 * 15 creates subscriptions only as one), and every table needs a key to publish updates and deletes.
 */
export async function whyNotLogical(
  source: SqlQueryable,
  target: SqlQueryable,
  tables: readonly TableInfo[],
): Promise<string | undefined> {
  const [s] = await source.query<{ wal_level: string; can: boolean }>(
    `SELECT current_setting('wal_level') AS wal_level,
            (SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = current_user) AS can`,
  );
  if (s?.wal_level !== 'logical') return `the source cluster's wal_level is ${s?.wal_level}, not logical`;
  if (!s.can) return "the source cluster's admin role has neither SUPERUSER nor REPLICATION";
  const [t] = await target.query<{ su: boolean }>(
    'SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user',
  );
  if (!t?.su) return "the target cluster's admin role is not a superuser (needed to create a subscription)";
  const keyless = tables.filter((x) => !x.hasKey).map((x) => x.name);
  if (keyless.length > 0) return `tables without a primary key: ${keyless.join(', ')}`;
  return undefined;
}

export async function createPublication(
  source: SqlQueryable,
  name: string,
  tables: readonly TableInfo[],
): Promise<void> {
  const exists = await source.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name]);
  if (exists.length === 0)
    await source.exec(`CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${tableList(tables)}`);
}

export async function dropPublication(source: SqlQueryable, name: string): Promise<void> {
  await source.exec(`DROP PUBLICATION IF EXISTS ${quoteIdent(name)}`);
}

/** Drops the slot on the source if it is left over (a subscription dropped without it, a crash mid-create). */
export async function dropSlot(source: SqlQueryable, name: string): Promise<void> {
  const rows = await source.query<{ active_pid: number | null }>(
    'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
    [name],
  );
  if (rows.length === 0) return;
  if (rows[0]?.active_pid) await source.query('SELECT pg_terminate_backend($1)', [rows[0].active_pid]);
  for (let attempt = 0; ; attempt++) {
    try {
      await source.query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
        [name],
      );
      return;
    } catch (err) {
      // 55006: still active for a moment after its walsender was told to end.
      if ((err as { code?: string }).code !== '55006' || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function subscriptionExists(target: SqlQueryable, name: string): Promise<boolean> {
  return (
    (
      await target.query(
        'SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
        [name],
      )
    ).length > 0
  );
}

/**
 * Subscribes the target database to the source's publication: copies every table, then streams.
 * `conninfo` must reach the source from the target server. A slot left by a run killed inside
 * CREATE SUBSCRIPTION is dropped first. Its applied transactions commit synchronously, so the
 * subscriber confirms a position as soon as it has applied it (with the default `off` it confirms
 * only after the WAL writer's next flush and its next feedback, up to a second later), which is
 * what the freeze waits for.
 */
export async function createSubscription(
  source: SqlQueryable,
  target: SqlQueryable,
  name: string,
  conninfo: string,
): Promise<void> {
  if (await subscriptionExists(target, name)) return;
  await dropSlot(source, name);
  await target.exec(
    `CREATE SUBSCRIPTION ${quoteIdent(name)} CONNECTION ${quoteLiteral(conninfo)} PUBLICATION ${quoteIdent(name)}
     WITH (copy_data = true, slot_name = ${quoteLiteral(name)}, synchronous_commit = 'on')`,
  );
}

/** Drops the subscription without touching the source (its slot is dropped by `dropSlot`). */
export async function dropSubscription(target: SqlQueryable, name: string): Promise<void> {
  if (!(await subscriptionExists(target, name))) return;
  await target.exec(`ALTER SUBSCRIPTION ${quoteIdent(name)} DISABLE`);
  await target.exec(`ALTER SUBSCRIPTION ${quoteIdent(name)} SET (slot_name = NONE)`);
  await target.exec(`DROP SUBSCRIPTION ${quoteIdent(name)}`);
}

/** Tables of the subscription not yet copied and streaming (state other than ready), or -1 if it is missing. */
export async function tablesNotReady(target: SqlQueryable, name: string): Promise<number> {
  const [row] = await target.query<{ subs: number; pending: number }>(
    `SELECT (SELECT count(*) FROM pg_subscription WHERE subname = $1)::int AS subs,
            (SELECT count(*) FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid
              WHERE s.subname = $1 AND r.srsubstate <> 'r')::int AS pending`,
    [name],
  );
  return Number(row?.subs ?? 0) === 0 ? -1 : Number(row?.pending ?? 0);
}

export async function currentLsn(source: SqlQueryable): Promise<string> {
  const [row] = await source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  if (!row) throw new Error('no WAL position');
  return row.lsn;
}

/** How far the subscriber has confirmed, in bytes behind `lsn` (0 when it has reached it); null without the slot. */
export async function bytesBehind(source: SqlQueryable, name: string, lsn: string): Promise<number | null> {
  const [row] = await source.query<{ behind: string | null }>(
    `SELECT greatest(0, pg_wal_lsn_diff($2::pg_lsn, confirmed_flush_lsn))::text AS behind
       FROM pg_replication_slots WHERE slot_name = $1`,
    [name, lsn],
  );
  if (!row) return null;
  return row.behind === null ? null : Number(row.behind);
}

/** The subscription must exist on the target, or the move cannot go on (an operator dropped it?). */
export function missingSubscription(name: string): AppError {
  return new AppError(
    'operation_failed',
    `subscription ${name} is missing on the target; run the move again after --abort`,
  );
}
