// Each cluster's load as placement sees it, kept per process for a short while: reading it means
// stat-ing every tenant database on the cluster, which grows with the fleet, so placement uses the
// last reading (at most `ttlMs` old) plus what this process placed on the cluster since. One read at
// a time per cluster; a cluster found unreachable is remembered so only briefly, and never as reachable.
import { describeFailure } from './load.ts';

/** How long a reading that found a cluster reachable is used (MODERNPOS_CLUSTER_LOAD_TTL_SECONDS). */
export const DEFAULT_CLUSTER_LOAD_TTL_MS = 30_000;
/** How long a cluster found unreachable is passed by before it is read again. */
const UNREACHABLE_TTL_MS = 5_000;
/** What a placed tenant adds to its cluster's size until the next reading, when its template's size is unknown. */
export const NEW_TENANT_ESTIMATE_BYTES = 8 * 1024 * 1024;

/** One real read of a cluster. */
export type ClusterReading =
  | {
      reachable: true;
      /** Total size of this control plane's tenant databases on it. */
      sizeBytes: number;
      tenants: number;
      /** Size of its template database (what a new tenant starts as); 0 if unknown. */
      templateBytes: number;
    }
  | { reachable: false; error: string };

/** A cluster's load as placement compares it: the reading plus what was placed since. */
type PlacementLoad =
  | { reachable: true; sizeBytes: number; tenants: number }
  | { reachable: false; error: string };

export interface ClusterLoadCacheOptions {
  /** How long a reachable reading is used (default 30 s; 0 reads for every placement). */
  ttlMs?: number;
  /** How long an unreachable one is (default 5 s, never longer than `ttlMs`). */
  unreachableTtlMs?: number;
  now?: () => number;
}

export interface ClusterLoadCache {
  /**
   * The load of `cluster`: its reading if one is fresh, else one taken by `read` (callers that
   * arrive while it runs share it), plus the tenants placed on it since that reading began.
   */
  load(cluster: string, read: () => Promise<ClusterReading>): Promise<PlacementLoad>;
  /** Counts a tenant placed on `cluster` until its next reading. */
  placed(cluster: string): void;
  /** Remembers that `cluster` did not answer (an onboarding could not reach it): passed by for a while. */
  unreachable(cluster: string, error: string): void;
  /** Why `cluster` is unreachable, if that is what is known of it lately; otherwise undefined. */
  knownUnreachable(cluster: string): string | undefined;
  /** Drops what is known of `cluster` (added again, perhaps as another server). */
  forget(cluster: string): void;
}

interface Entry {
  reading: ClusterReading;
  /** When the reading was taken (ended), on `now`. */
  at: number;
  /** Orders readings and marks: a read that began before a mark never overwrites it. */
  seq: number;
  /** The cluster's placed count when the reading began: what was placed after is added to it. */
  placedBefore: number;
}

export function createClusterLoadCache(options: ClusterLoadCacheOptions = {}): ClusterLoadCache {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? DEFAULT_CLUSTER_LOAD_TTL_MS;
  const unreachableTtlMs = Math.min(ttlMs, options.unreachableTtlMs ?? UNREACHABLE_TTL_MS);
  const entries = new Map<string, Entry>();
  const reading = new Map<string, Promise<Entry>>();
  /** Tenants placed on each cluster by this process, ever: readings remember where they began. */
  const placedCount = new Map<string, number>();
  /** Readings that began before a cluster was forgotten are dropped when they end. */
  const forgottenAt = new Map<string, number>();
  let seq = 0;

  const fresh = (entry: Entry) => now() - entry.at < (entry.reading.reachable ? ttlMs : unreachableTtlMs);

  const settle = (cluster: string, entry: Entry): Entry => {
    const current = entries.get(cluster);
    if (current && current.seq > entry.seq) return current;
    if (entry.seq > (forgottenAt.get(cluster) ?? 0)) entries.set(cluster, entry);
    return entry;
  };

  const readNow = (cluster: string, read: () => Promise<ClusterReading>): Promise<Entry> => {
    const pending = reading.get(cluster);
    if (pending) return pending;
    const began = { seq: ++seq, placedBefore: placedCount.get(cluster) ?? 0 };
    const started: Promise<Entry> = read()
      .catch((err: unknown): ClusterReading => ({ reachable: false, error: describeFailure(err) }))
      .then((result) => settle(cluster, { reading: result, at: now(), ...began }))
      .finally(() => {
        if (reading.get(cluster) === started) reading.delete(cluster);
      });
    reading.set(cluster, started);
    return started;
  };

  const view = (cluster: string, entry: Entry): PlacementLoad => {
    const r = entry.reading;
    if (!r.reachable) return r;
    const since = (placedCount.get(cluster) ?? 0) - entry.placedBefore;
    const each = r.templateBytes > 0 ? r.templateBytes : NEW_TENANT_ESTIMATE_BYTES;
    return { reachable: true, sizeBytes: r.sizeBytes + since * each, tenants: r.tenants + since };
  };

  return {
    async load(cluster, read) {
      const entry = entries.get(cluster);
      return view(cluster, entry && fresh(entry) ? entry : await readNow(cluster, read));
    },
    placed(cluster) {
      placedCount.set(cluster, (placedCount.get(cluster) ?? 0) + 1);
    },
    unreachable(cluster, error) {
      entries.set(cluster, {
        reading: { reachable: false, error },
        at: now(),
        seq: ++seq,
        placedBefore: placedCount.get(cluster) ?? 0,
      });
    },
    knownUnreachable(cluster) {
      const entry = entries.get(cluster);
      return entry && !entry.reading.reachable && fresh(entry) ? entry.reading.error : undefined;
    },
    forget(cluster) {
      entries.delete(cluster);
      reading.delete(cluster);
      forgottenAt.set(cluster, ++seq);
    },
  };
}
