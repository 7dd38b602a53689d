// The offline copy of a move whose source cannot replicate logically: inside the write freeze, every
// table is read in one snapshot of the source and written into the emptied target in one transaction
// (triggers off, as a subscription applies rows), so the target holds exactly the frozen source.
import { quoteIdent, type SqlDatabase } from '../../../src/db/sql.ts';
import { type TableInfo, tableList } from './tables.ts';

const BATCH = 5_000;

/** Copies every table; returns the rows copied. */
export async function copyTables(
  source: SqlDatabase,
  target: SqlDatabase,
  tables: readonly TableInfo[],
): Promise<number> {
  let copied = 0;
  await source.transaction(async (stx) => {
    await stx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await target.transaction(async (ttx) => {
      await ttx.exec('SET LOCAL session_replication_role = replica');
      if (tables.length > 0) await ttx.exec(`TRUNCATE ${tableList(tables)}`);
      for (const t of tables) {
        const table = `public.${quoteIdent(t.name)}`;
        const cols = t.insertable.map(quoteIdent).join(', ');
        const cursor = quoteIdent(`mpmove_${t.name}`);
        await stx.exec(
          `DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS j FROM ${table} t`,
        );
        for (;;) {
          const rows = await stx.query<{ j: string }>(`FETCH ${BATCH} FROM ${cursor}`);
          if (rows.length === 0) break;
          await ttx.query(
            `INSERT INTO ${table} (${cols}) OVERRIDING SYSTEM VALUE
             SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1::json)`,
            [`[${rows.map((r) => r.j).join(',')}]`],
          );
          copied += rows.length;
        }
        await stx.exec(`CLOSE ${cursor}`);
      }
    });
  });
  return copied;
}
