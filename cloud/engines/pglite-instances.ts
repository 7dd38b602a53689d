// Open PGlite instances, at most `max` idle ones kept. An instance costs ~165 MiB and 0.5 s to open,
// and PGlite takes no lock on its directory (two openers corrupt it), so a directory is opened by
// one instance at a time and the least recently used is closed only while no query runs on it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { typeParsers } from '../../src/db/type-parsers.ts';

interface Entry {
  dir: string;
  ready: Promise<PGlite>;
  inUse: number;
  lastUsed: number;
  closing?: Promise<void>;
}

export interface InstanceStats {
  open: number;
  inUse: number;
  opened: number;
  closed: number;
}

export class PgliteInstances {
  private readonly entries = new Map<string, Entry>();
  /** Directories being copied or removed: nobody may open them until that is done. */
  private readonly exclusive = new Map<string, Promise<void>>();
  private opened = 0;
  private closed = 0;
  private tick = 0;

  /**
   * @param max idle instances kept open
   * @param missing the error for a directory that holds no database: an instance is never opened
   *   on an empty directory, because PGlite would silently initialise a new database there
   */
  constructor(
    private readonly max: number,
    private readonly missing: (dir: string) => Error = (dir) => new Error(`no database in ${dir}`),
  ) {
    if (!Number.isInteger(max) || max < 1)
      throw new Error('the embedded engine needs room for at least one open instance');
  }

  /** Runs `fn` with the instance for `dir`, opening it if needed; the instance is not closed while `fn` runs. */
  async use<T>(dir: string, fn: (db: PGlite) => Promise<T>): Promise<T> {
    const entry = await this.acquire(dir);
    try {
      return await fn(await entry.ready);
    } finally {
      entry.inUse--;
      entry.lastUsed = ++this.tick;
      this.evictIdle();
    }
  }

  /**
   * Runs `fn` with `dir` closed and nobody able to open it: waits for running queries to finish,
   * closes the instance, and holds back new users until `fn` (a copy, a removal) is done.
   */
  async withExclusive<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    while (this.exclusive.has(dir)) await this.exclusive.get(dir);
    let done!: () => void;
    this.exclusive.set(
      dir,
      new Promise<void>((resolve) => {
        done = resolve;
      }),
    );
    try {
      await this.close(dir);
      return await fn();
    } finally {
      this.exclusive.delete(dir);
      done();
    }
  }

  /** Closes `dir`'s instance once nothing uses it (before its directory is copied or removed). */
  async close(dir: string): Promise<void> {
    for (;;) {
      const entry = this.entries.get(dir);
      if (!entry) return;
      if (entry.closing) {
        await entry.closing;
        continue;
      }
      if (entry.inUse > 0) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      await this.shut(entry);
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((dir) => this.close(dir)));
  }

  stats(): InstanceStats {
    let inUse = 0;
    for (const e of this.entries.values()) inUse += e.inUse > 0 ? 1 : 0;
    return { open: this.entries.size, inUse, opened: this.opened, closed: this.closed };
  }

  private async acquire(dir: string): Promise<Entry> {
    for (;;) {
      const held = this.exclusive.get(dir);
      if (held) {
        await held;
        continue;
      }
      const existing = this.entries.get(dir);
      if (existing?.closing) {
        await existing.closing;
        continue;
      }
      if (existing) {
        existing.inUse++;
        return existing;
      }
      if (!existsSync(join(dir, 'PG_VERSION'))) throw this.missing(dir);
      const entry: Entry = {
        dir,
        ready: PGlite.create(dir, { parsers: typeParsers }),
        inUse: 1,
        lastUsed: ++this.tick,
      };
      this.entries.set(dir, entry);
      this.opened++;
      try {
        await entry.ready;
      } catch (err) {
        this.entries.delete(dir);
        throw err;
      }
      this.evictIdle();
      return entry;
    }
  }

  /** Soft cap: when every open instance is busy the cap is exceeded rather than deadlocking a caller that needs two databases. */
  private evictIdle(): void {
    for (;;) {
      let open = 0;
      let victim: Entry | undefined;
      for (const e of this.entries.values()) {
        if (e.closing) continue;
        open++;
        if (e.inUse === 0 && (!victim || e.lastUsed < victim.lastUsed)) victim = e;
      }
      if (open <= this.max || !victim) return;
      void this.shut(victim).catch(() => {});
    }
  }

  private shut(entry: Entry): Promise<void> {
    entry.closing ??= (async () => {
      try {
        await (await entry.ready).close();
      } finally {
        this.entries.delete(entry.dir);
        this.closed++;
      }
    })();
    return entry.closing;
  }
}
