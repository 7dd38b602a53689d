// The embedded engine's instance cache: each directory opened once, idle instances closed least
// recently used first, and never one that a query is running on.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteInstances } from '../../cloud/engines/pglite-instances.ts';
import { PRISTINE_DIR } from '../helpers/engines.ts';

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
    const cache = new PgliteInstances(1);
    try {
      let releaseA!: () => void;
      const aBusy = cache.use(dir('a'), (db) =>
        new Promise<void>((resolve) => {
          releaseA = resolve;
        }).then(() => db.query('SELECT 1')),
      );
      await new Promise((r) => setTimeout(r, 50));
      // b opens while a is busy: the cap of 1 is exceeded rather than closing a under its caller.
      await cache.use(dir('b'), (db) => db.query('SELECT 1'));
      await new Promise((r) => setTimeout(r, 50));
      expect(cache.stats().open).toBe(1); // b was idle and least recently used, so it went
      releaseA();
      await aBusy;
      await cache.use(dir('c'), (db) => db.query('SELECT 1'));
      await new Promise((r) => setTimeout(r, 50));
      expect(cache.stats()).toMatchObject({ open: 1, opened: 3 });
      // a was closed and reopens cleanly with its data intact.
      expect((await cache.use(dir('a'), (db) => db.query('SELECT 1 AS ok'))).rows).toEqual([{ ok: 1 }]);
    } finally {
      await cache.closeAll();
    }
  });
});
