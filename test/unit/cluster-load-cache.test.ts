// The per-process cache of cluster loads placement uses (cloud/clusters/load-cache.ts), on an
// injected clock: readings kept for their TTL, one read at a time per cluster, tenants placed
// meanwhile counted, and a cluster found unreachable never kept as reachable.
import { describe, expect, it } from 'vitest';
import {
  type ClusterReading,
  createClusterLoadCache,
  NEW_TENANT_ESTIMATE_BYTES,
} from '../../cloud/clusters/load-cache.ts';

const MiB = 1024 * 1024;

/** A cluster's reads, counted; each answers the current `answer`. */
function reader(initial: ClusterReading) {
  const r = {
    answer: initial,
    reads: 0,
    read: async (): Promise<ClusterReading> => {
      r.reads++;
      return r.answer;
    },
  };
  return r;
}

const up = (sizeBytes: number, tenants: number, templateBytes = 8 * MiB): ClusterReading => ({
  reachable: true,
  sizeBytes,
  tenants,
  templateBytes,
});

/** A read that ends only when `finish` is called. */
function held() {
  let finish!: (r: ClusterReading) => void;
  let reads = 0;
  const answer = new Promise<ClusterReading>((resolve) => {
    finish = resolve;
  });
  return {
    read: () => {
      reads++;
      return answer;
    },
    finish: (r: ClusterReading) => finish(r),
    reads: () => reads,
  };
}

describe('cluster load cache', () => {
  it('uses a reading for its TTL, then reads again', async () => {
    let clock = 1_000;
    const cache = createClusterLoadCache({ ttlMs: 30_000, now: () => clock });
    const b = reader(up(100 * MiB, 10));
    expect(await cache.load('b', b.read)).toEqual({ reachable: true, sizeBytes: 100 * MiB, tenants: 10 });
    b.answer = up(500 * MiB, 11);
    clock += 29_999;
    expect(await cache.load('b', b.read)).toMatchObject({ sizeBytes: 100 * MiB });
    expect(b.reads).toBe(1);
    clock += 1;
    expect(await cache.load('b', b.read)).toMatchObject({ sizeBytes: 500 * MiB, tenants: 11 });
    expect(b.reads).toBe(2);
  });

  it('reads for every placement with a TTL of 0', async () => {
    const cache = createClusterLoadCache({ ttlMs: 0, now: () => 0 });
    const b = reader(up(1, 1));
    await cache.load('b', b.read);
    await cache.load('b', b.read);
    expect(b.reads).toBe(2);
  });

  it('adds each tenant placed since the reading: one tenant and the template size each, until the next reading', async () => {
    let clock = 0;
    const cache = createClusterLoadCache({ ttlMs: 30_000, now: () => clock });
    const b = reader(up(100 * MiB, 10, 7 * MiB));
    await cache.load('b', b.read);
    cache.placed('b');
    cache.placed('b');
    cache.placed('c');
    expect(await cache.load('b', b.read)).toEqual({ reachable: true, sizeBytes: 114 * MiB, tenants: 12 });
    // The next reading counts them itself.
    b.answer = up(114 * MiB, 12, 7 * MiB);
    clock += 30_000;
    expect(await cache.load('b', b.read)).toEqual({ reachable: true, sizeBytes: 114 * MiB, tenants: 12 });
    // Without a known template size, a fixed estimate.
    const c = reader(up(0, 0, 0));
    cache.placed('c');
    expect(await cache.load('c', c.read)).toEqual({ reachable: true, sizeBytes: 0, tenants: 0 });
    cache.placed('c');
    expect(await cache.load('c', c.read)).toEqual({
      reachable: true,
      sizeBytes: NEW_TENANT_ESTIMATE_BYTES,
      tenants: 1,
    });
  });

  it('counts a tenant placed while a reading runs on top of it (the reading may not have seen it)', async () => {
    const cache = createClusterLoadCache({ ttlMs: 30_000, now: () => 0 });
    const b = held();
    const loading = cache.load('b', b.read);
    cache.placed('b');
    b.finish(up(10 * MiB, 1, MiB));
    expect(await loading).toEqual({ reachable: true, sizeBytes: 11 * MiB, tenants: 2 });
  });

  it('reads a cluster once for placements that ask at the same time', async () => {
    const cache = createClusterLoadCache({ ttlMs: 30_000, now: () => 0 });
    const b = held();
    const c = held();
    const loads = [
      cache.load('b', b.read),
      cache.load('b', b.read),
      cache.load('c', c.read),
      cache.load('b', b.read),
    ];
    expect([b.reads(), c.reads()]).toEqual([1, 1]);
    b.finish(up(5, 1));
    c.finish({ reachable: false, error: 'ECONNREFUSED' });
    expect(await Promise.all(loads)).toEqual([
      { reachable: true, sizeBytes: 5, tenants: 1 },
      { reachable: true, sizeBytes: 5, tenants: 1 },
      { reachable: false, error: 'ECONNREFUSED' },
      { reachable: true, sizeBytes: 5, tenants: 1 },
    ]);
    expect(b.reads()).toBe(1);
  });

  it('keeps a cluster found unreachable only briefly, and a failed read counts as unreachable', async () => {
    let clock = 0;
    const cache = createClusterLoadCache({ ttlMs: 30_000, unreachableTtlMs: 5_000, now: () => clock });
    const c = reader({ reachable: false, error: 'ECONNREFUSED' });
    expect(await cache.load('c', c.read)).toEqual({ reachable: false, error: 'ECONNREFUSED' });
    expect(cache.knownUnreachable('c')).toBe('ECONNREFUSED');
    clock += 4_999;
    await cache.load('c', c.read);
    expect(c.reads).toBe(1);
    clock += 1;
    expect(cache.knownUnreachable('c')).toBeUndefined();
    c.answer = up(1, 1);
    expect(await cache.load('c', c.read)).toMatchObject({ reachable: true });
    expect(c.reads).toBe(2);

    const broken = createClusterLoadCache({ now: () => clock });
    const failing = async (): Promise<ClusterReading> => {
      throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    };
    expect(await broken.load('d', failing)).toEqual({
      reachable: false,
      error: 'ECONNREFUSED: connection refused',
    });
  });

  it('stops using a reachable reading as soon as the cluster is found unreachable', async () => {
    let clock = 0;
    const cache = createClusterLoadCache({ ttlMs: 30_000, now: () => clock });
    const b = reader(up(1, 1));
    await cache.load('b', b.read);
    expect(cache.knownUnreachable('b')).toBeUndefined();
    cache.unreachable('b', 'ECONNREFUSED');
    expect(cache.knownUnreachable('b')).toBe('ECONNREFUSED');
    expect(await cache.load('b', b.read)).toEqual({ reachable: false, error: 'ECONNREFUSED' });
    expect(b.reads).toBe(1);
    // Read again after the unreachable TTL (default 5 s), not the reachable one.
    clock += 5_000;
    expect(await cache.load('b', b.read)).toMatchObject({ reachable: true });
    expect(b.reads).toBe(2);
  });

  it('never lets a reading that began before the cluster was found unreachable overwrite that', async () => {
    const cache = createClusterLoadCache({ ttlMs: 30_000, now: () => 0 });
    const b = held();
    const loading = cache.load('b', b.read);
    cache.unreachable('b', 'ECONNRESET');
    b.finish(up(1, 1));
    expect(await loading).toEqual({ reachable: false, error: 'ECONNRESET' });
    expect(cache.knownUnreachable('b')).toBe('ECONNRESET');
  });

  it('forgets a cluster (added again): the next placement reads it, a reading of before is dropped', async () => {
    const cache = createClusterLoadCache({ ttlMs: 30_000, now: () => 0 });
    const old = held();
    const before = cache.load('b', old.read);
    cache.forget('b');
    const b = reader(up(2, 2));
    expect(await cache.load('b', b.read)).toMatchObject({ sizeBytes: 2 });
    old.finish(up(999, 9));
    await before;
    expect(await cache.load('b', b.read)).toMatchObject({ sizeBytes: 2 });
    expect(b.reads).toBe(1);
  });
});
