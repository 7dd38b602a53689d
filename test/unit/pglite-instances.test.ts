// The embedded engine's instance cache: each directory opened once, idle instances closed least
// recently used first, and never one that a query is running on.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteInstances } from '../../cloud/engines/pglite-instances.ts';
import { PRISTINE_DIR } from '../helpers/engines.ts';
import { waitFor } from '../helpers/wait.ts';

describe('PGlite instance cache', () => {
  let root: string;
  const dir = (name: string) => join(root, name);
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'modernpos-instances-'));
    for (const name of ['a', 'b', 'c']) cpSync(PRISTINE_DIR, dir(name), { recursive: true });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('opens a directory once however many callers arrive together', async () => {
    const cache = new PgliteInstances(2);
    try {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          cache.use(dir('a'), async (db) => (await db.query(`SELECT ${i} AS n`)).rows),
        ),
      );
      expect(results.map((r) => r[0])).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
      expect(cache.stats()).toMatchObject({ open: 1, opened: 1, closed: 0 });
    } finally {
      await cache.closeAll();
    }
  });

  it('closes the least recently used idle instance, never a busy one', async () => {
    // A cap of 2 over three directories (each instance costs ~165 MiB: 2 is the smallest cap above
    // one). The order of use, not the order of opening, picks the one closed; `opened` tells which
    // stayed open, since using an open instance opens nothing.
    const cache = new PgliteInstances(2);
    const use = (name: string) => cache.use(dir(name), (db) => db.query('SELECT 1'));
    const closedCount = (n: number) =>
      waitFor(() => cache.stats().closed === n, 10_000, `${n} instances to be closed`);
    try {
      for (const name of ['a', 'b', 'a']) await use(name); // b is now the least recently used
      await use('c');
      await closedCount(1);
      expect(cache.stats()).toMatchObject({ open: 2, opened: 3, closed: 1 });
      for (const name of ['a', 'c']) await use(name);
      expect(cache.stats()).toMatchObject({ opened: 3, closed: 1 }); // a and c stayed open

      // a is now the least recently used, but busy: opening b closes c instead.
      let releaseA: (() => void) | undefined;
      const aBusy = cache.use(dir('a'), (db) =>
        new Promise<void>((resolve) => {
          releaseA = resolve;
        }).then(() => db.query('SELECT 1')),
      );
      await waitFor(() => releaseA !== undefined, 10_000, 'a to be in use');
      await use('b');
      await closedCount(2);
      expect(cache.stats()).toMatchObject({ open: 2, inUse: 1, opened: 4, closed: 2 });
      releaseA?.();
      await aBusy;
      // a was never closed under its caller: using it again opens nothing.
      expect((await cache.use(dir('a'), (db) => db.query('SELECT 1 AS ok'))).rows).toEqual([{ ok: 1 }]);
      expect(cache.stats()).toMatchObject({ opened: 4, closed: 2 });
    } finally {
      await cache.closeAll();
    }
  });
});
