// A snapshot of the target held open across an online move's switch: a REPEATABLE READ admin
// transaction (text formats pinned as for every checksum) whose first query runs inside the freeze,
// after the subscription reached the source's final position. Nothing but the subscription writes
// the target before the switch, so the snapshot is exactly the replicated state, and the checksums
// taken in it after the switch (while the tenant already writes there) compare with the fenced source.
import type { SqlDatabase, SqlQueryable } from '../../../src/db/sql.ts';
import { pinTextFormats } from './tables.ts';

export interface PinnedSnapshot {
  /** Runs `fn` inside the held transaction (one at a time). */
  run<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Ends the transaction (read only: nothing to keep); safe to call twice. */
  release(): Promise<void>;
}

/** Opens the transaction on `db` and takes its snapshot with `first`; returns what `first` returned. */
export async function pinSnapshot<T>(
  db: SqlDatabase,
  first: (tx: SqlQueryable) => Promise<T>,
): Promise<{ value: T; snapshot: PinnedSnapshot }> {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  let opened!: (tx: SqlQueryable) => void;
  const ready = new Promise<SqlQueryable>((resolve) => {
    opened = resolve;
  });
  const done = db.transaction(async (tx) => {
    await pinTextFormats(tx);
    opened(tx);
    await ended;
  });
  // The transaction failing before it opened (no connection) is the caller's error.
  const tx = await Promise.race([ready, done.then(() => Promise.reject(new Error('snapshot ended')))]);
  done.catch(() => {});
  let queue: Promise<unknown> = Promise.resolve();
  let released = false;
  const snapshot: PinnedSnapshot = {
    run<R>(fn: (t: SqlQueryable) => Promise<R>): Promise<R> {
      if (released) return Promise.reject(new Error('the pinned snapshot was released'));
      const next = queue.then(() => fn(tx));
      queue = next.catch(() => {});
      return next;
    },
    async release() {
      if (released) return;
      released = true;
      await queue;
      end();
      await done.catch(() => {});
    },
  };
  try {
    return { value: await snapshot.run(first), snapshot };
  } catch (err) {
    await snapshot.release();
    throw err;
  }
}
