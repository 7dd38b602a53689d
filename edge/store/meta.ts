// What the edge knows about itself, in edge_meta: the tenant and branch it belongs to (fixed on first
// start), fallbacks for currency and time zone until the catalog brings the tenant's
// own, and the sync client's last sync, last empty outbox and last error (docs/freshness.md).
import { eq, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { edgeMeta } from './tables.ts';

export const metaKeys = [
  'store_id',
  'org_id',
  'branch',
  'currency',
  'time_zone',
  'cloud_url',
  'last_sync_at',
  'outbox_empty_at',
  'last_sync_error',
  // The place in this branch's stock ledger up to which the edge has pulled (docs/stock.md).
  'stock_cursor',
] as const;
export type MetaKey = (typeof metaKeys)[number];

export interface EdgeMeta {
  get(key: MetaKey): string | undefined;
  set(key: MetaKey, value: string | null): void;
}

export function createEdgeMeta(db: BetterSQLite3Database): EdgeMeta {
  const byKey = db
    .select({ value: edgeMeta.value })
    .from(edgeMeta)
    .where(eq(edgeMeta.key, sql.placeholder('key')))
    .prepare();
  return {
    get: (key) => byKey.get({ key })?.value,
    set(key, value) {
      if (value === null) {
        db.delete(edgeMeta).where(eq(edgeMeta.key, key)).run();
        return;
      }
      db.insert(edgeMeta)
        .values({ key, value })
        .onConflictDoUpdate({ target: edgeMeta.key, set: { value } })
        .run();
    },
  };
}
