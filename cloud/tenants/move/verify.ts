// The frozen source and the target compared table by table (rows and checksum) before the switch.

import type { ClosableSqlDatabase } from '../../../src/db/sql.ts';
import { AppError } from '../../../src/errors.ts';
import { sumMismatches, type TableInfo, type TableSum, tableSums } from './tables.ts';

export async function verify(
  sourceDb: ClosableSqlDatabase,
  targetDb: ClosableSqlDatabase,
  tables: readonly TableInfo[],
  onTarget: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<TableSum[]> {
  const [a, b] = await Promise.all([
    tableSums(sourceDb, tables),
    onTarget(() => tableSums(targetDb, tables)),
  ]);
  const bad = sumMismatches(a, b);
  if (bad.length > 0) {
    throw new AppError(
      'operation_failed',
      `the target differs from the frozen source in ${bad.join(', ')}; the move was not switched (run it again, or --abort)`,
    );
  }
  return a;
}
