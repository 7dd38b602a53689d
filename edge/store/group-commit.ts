// Group commit (docs/edge.md#how-a-sale-is-committed): writes that arrive together — within one turn
// of the event loop, or while the previous group's commit held it — share one IMMEDIATE transaction
// and so one fsync. Each write runs in its own savepoint, in arrival order; each is answered only
// after the commit that holds it returned, so an answer never runs ahead of the disk.
import type Database from 'better-sqlite3';

export interface GroupCommit {
  /**
   * Runs `write` in the next group's transaction and resolves with what it returned once that
   * transaction has committed. A write that throws is rolled back to its savepoint (the others
   * still commit) and rejects with its error; if the transaction itself fails (BEGIN, COMMIT, or an
   * error that ends it early), every write of the group rejects with that error.
   * `write` runs synchronously inside the transaction; the store's own transaction wrapper becomes
   * one more savepoint there.
   */
  run<T>(write: () => T): Promise<T>;
  /** How many groups have committed and how many writes they held (metrics, benchmarks, tests). */
  stats(): { groups: number; writes: number; largest: number };
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Waiting {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** The transaction ended under a write (SQLite rolls back on some I/O and full-disk errors). */
class GroupAborted extends Error {
  constructor(override readonly cause: unknown) {
    super('the group transaction ended before its commit');
  }
}

/**
 * `schedule` starts a group (default `setImmediate`: after the I/O callbacks of this turn, so the
 * requests read in the same poll phase join the same group).
 */
export function createGroupCommit(
  sqlite: Database.Database,
  schedule: (flush: () => void) => void = setImmediate,
): GroupCommit {
  let waiting: Waiting[] = [];
  let scheduled = false;
  const counts = { groups: 0, writes: 0, largest: 0 };
  // Inside the group's transaction a transaction function is a savepoint: one per write.
  const savepoint = sqlite.transaction((write: () => unknown) => write());
  const inOne = sqlite.transaction((group: Waiting[]) =>
    group.map((w): Settled => {
      try {
        return { ok: true, value: savepoint(w.write) };
      } catch (error) {
        // The write's own savepoint is rolled back already; the group goes on only if its
        // transaction is still open, else nothing of the group will commit.
        if (!sqlite.inTransaction) throw new GroupAborted(error);
        return { ok: false, error };
      }
    }),
  );

  function flush(): void {
    scheduled = false;
    const group = waiting;
    waiting = [];
    let settled: Settled[];
    try {
      settled = inOne.immediate(group);
    } catch (err) {
      const error = err instanceof GroupAborted ? err.cause : err;
      for (const w of group) w.reject(error);
      return;
    }
    counts.groups++;
    counts.writes += group.length;
    counts.largest = Math.max(counts.largest, group.length);
    for (const [i, w] of group.entries()) {
      const s = settled[i]!;
      if (s.ok) w.resolve(s.value);
      else w.reject(s.error);
    }
  }

  return {
    run: <T>(write: () => T) =>
      new Promise<T>((resolve, reject) => {
        waiting.push({ write, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          schedule(flush);
        }
      }),
    stats: () => ({ ...counts }),
  };
}
