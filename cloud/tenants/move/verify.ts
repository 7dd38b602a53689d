// The frozen source and the target compared table by table. The offline copy compares row counts and
// checksums inside its freeze (`verify`). An online move compares row counts inside its freeze,
// reading the target in a snapshot it keeps (`countInFreeze`: a mismatch refuses the switch), and the
// checksums after the switch, the target's in that snapshot (`checksumsAfterSwitch`): the freeze
// stays short whatever the tenant's size.

import type { ClosableSqlDatabase } from '../../../src/db/sql.ts';
import { AppError } from '../../../src/errors.ts';
import { type PinnedSnapshot, pinSnapshot } from './snapshot.ts';
import {
  mismatches,
  sumsIn,
  type TableCount,
  type TableInfo,
  type TableSum,
  tableCounts,
  tableSums,
} from './tables.ts';

type OnTarget = <T>(fn: () => Promise<T>) => Promise<T>;

const notSwitched = (bad: readonly string[], what: string) =>
  new AppError(
    'operation_failed',
    `the target differs from the frozen source in ${what} of ${bad.join(', ')}; the move was not switched (run it again, or --abort)`,
  );

/** Counts and checksums of both sides, inside the freeze (the offline copy). */
export async function verify(
  sourceDb: ClosableSqlDatabase,
  targetDb: ClosableSqlDatabase,
  tables: readonly TableInfo[],
  onTarget: OnTarget,
): Promise<TableSum[]> {
  const [a, b] = await Promise.all([
    tableSums(sourceDb, tables),
    onTarget(() => tableSums(targetDb, tables)),
  ]);
  const bad = mismatches(a, b);
  if (bad.length > 0) throw notSwitched(bad, 'the rows or checksum');
  return a;
}

/**
 * Inside the freeze, once the target holds the source's final state: the row counts of both sides
 * (the fenced source's, started by the caller), the target's read in the snapshot kept for the checksums after the switch. A difference refuses
 * the switch (the snapshot is released).
 */
export async function countInFreeze(
  sourceCounts: Promise<TableCount[]>,
  targetDb: ClosableSqlDatabase,
  tables: readonly TableInfo[],
  onTarget: OnTarget,
): Promise<{ counts: TableCount[]; snapshot: PinnedSnapshot }> {
  const [sourceSide, targetSide] = await Promise.allSettled([
    sourceCounts,
    onTarget(() => pinSnapshot(targetDb, (tx) => tableCounts(tx, tables))),
  ]);
  if (targetSide.status === 'rejected') throw targetSide.reason;
  const pinned = targetSide.value;
  if (sourceSide.status === 'rejected') {
    await pinned.snapshot.release();
    throw sourceSide.reason;
  }
  const a = sourceSide.value;
  const bad = mismatches(a, pinned.value);
  if (bad.length > 0) {
    await pinned.snapshot.release();
    throw notSwitched(bad, 'the row count');
  }
  return { counts: a, snapshot: pinned.snapshot };
}

export interface ChecksumComparison {
  source: TableSum[];
  target: TableSum[];
  /** Tables whose rows or checksum differ. */
  mismatched: string[];
}

/** After the switch: the fenced source's checksums beside the target's in the snapshot kept at the freeze. */
export async function checksumsAfterSwitch(
  sourceDb: ClosableSqlDatabase,
  snapshot: PinnedSnapshot,
  tables: readonly TableInfo[],
  onTarget: OnTarget,
): Promise<ChecksumComparison> {
  try {
    const [source, target] = await Promise.all([
      tableSums(sourceDb, tables),
      onTarget(() => snapshot.run((tx) => sumsIn(tx, tables))),
    ]);
    return { source, target, mismatched: mismatches(source, target) };
  } finally {
    await snapshot.release();
  }
}
