// The catalog announced again after a restore: entities changed after the backup get new change-log
// cursors, so edges that pulled the lost changes pull the restored rows (or their deletion).
import type { SqlQueryable } from '../../../src/db/sql.ts';

/**
 * Edges may have pulled catalog changes the restored change log no longer has, and hold a cursor
 * beyond its end. Every entity changed after the restored log's last cursor is appended again, with
 * cursors after the highest the tenant ever gave out: an edge at any cursor then pulls the restored row
 * (or a delete, for a row the backup does not have), and the cursor never goes back.
 */
export async function reannounceCatalog(tx: SqlQueryable): Promise<number> {
  const [bounds] = await tx.query<{ restored: unknown; prior: unknown }>(
    `SELECT (SELECT coalesce(max(cursor), 0) FROM change_log) AS restored,
            (SELECT coalesce(max(cursor), 0) FROM restore_prior_changes) AS prior`,
  );
  const restored = Number(bounds?.restored ?? 0);
  const base = Math.max(restored, Number(bounds?.prior ?? 0));
  const added = await tx.query(
    `INSERT INTO change_log (cursor, entity, entity_id, op, changed_at)
     SELECT $2::int8 + row_number() OVER (ORDER BY entity, entity_id), entity, entity_id, 'upsert', now()
       FROM (SELECT DISTINCT entity, entity_id FROM restore_prior_changes WHERE cursor > $1::int8) changed
     RETURNING cursor`,
    [restored, base],
  );
  return added.length;
}
