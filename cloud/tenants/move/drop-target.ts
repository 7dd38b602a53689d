// What a move made on the target cluster, dropped: by `--abort`, and by a new move onto a cluster
// an aborted one left its database on.

import type { Engine } from '../../engines/engine.ts';
import { dropSubscription } from './replication.ts';

/** Drops what a move made on the target: its subscription (which would block the drop) and the database and role. */
export async function dropTarget(target: Engine, database: string, name: string): Promise<void> {
  if (await target.databaseExists(database)) {
    const db = target.openDatabase(database, 1);
    try {
      await dropSubscription(db, name);
    } finally {
      await db.close();
    }
    await target.dropDatabase(database);
  }
  await target.roles.dropTenantRole(database);
}
