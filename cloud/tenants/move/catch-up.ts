// Waiting on logical replication: until the subscription has copied every table and confirmed the
// source's position, checking on the way that the target still answers and the subscription exists.
import type { ClosableSqlDatabase } from '../../../src/db/sql.ts';
import { AppError } from '../../../src/errors.ts';
import { bytesBehind, currentLsn, missingSubscription, tablesNotReady } from './replication.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until the subscription has copied every table and is at most a moment behind the source. */
export async function catchUp(
  sourceDb: ClosableSqlDatabase,
  targetDb: ClosableSqlDatabase,
  name: string,
  timeoutMs: number,
  onTarget: <T>(fn: () => Promise<T>) => Promise<T>,
  /** Told the bytes still to apply at each poll (for /metrics). */
  onLag: (bytes: number) => void = () => {},
): Promise<number> {
  await waitFor(
    async () => {
      const pending = await onTarget(() => tablesNotReady(targetDb, name));
      if (pending < 0) throw missingSubscription(name);
      return pending === 0;
    },
    timeoutMs,
    async () => {},
    'the subscription did not finish copying the tables',
  );
  const lsn = await currentLsn(sourceDb);
  let behind: number | null = null;
  await waitFor(
    async () => {
      behind = await bytesBehind(sourceDb, name, lsn);
      if (behind !== null) onLag(behind);
      return behind === 0;
    },
    timeoutMs,
    async () => {
      if ((await onTarget(() => tablesNotReady(targetDb, name))) < 0) throw missingSubscription(name);
    },
    'the subscription did not catch up with the source',
  );
  return behind ?? 0;
}

export async function waitFor(
  done: () => Promise<boolean>,
  timeoutMs: number,
  check: () => Promise<void>,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    if (await done()) return;
    if (Date.now() >= deadline) {
      throw new AppError('database_unavailable', `${what} within ${Math.round(timeoutMs / 1000)} s`);
    }
    if (i % 10 === 0) await check();
    await sleep(Math.min(20 + i * 10, 200));
  }
}
