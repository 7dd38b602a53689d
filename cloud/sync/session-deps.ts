// What a sync session is given (limits, the tenant resolver, a logger, an observer for metrics) and
// what it hands back once the device is known (a handle for pokes, resolutions and revocation).
import type { Logger } from '../../src/log.ts';
import type { SyncObserver } from '../metrics/sync.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import type { HelloBatches } from './hello-batches.ts';
import type { Intake } from './intake.ts';
import type { LastSeenBatches } from './last-seen-batches.ts';
import type { ReadSlots } from './read-slots.ts';

export interface SyncLimits {
  maxFrameBytes: number;
  maxBatchMutations: number;
  heartbeatMs: number;
  /** A socket that sends no hello within this long is closed (`closeCodes.helloTimeout`). */
  helloTimeoutMs: number;
  /** Most catalog changes per page. */
  pullPageSize: number;
  /**
   * How often a ping may write the device's `last_seen_at` (with its sync times and reported backlog;
   * pushes always write `last_seen_at`, hellos everything); 0: every ping writes before its pong.
   */
  lastSeenEveryMs: number;
  /**
   * How long an idle till's ping write waits to be gathered with its tenant's others (10 s unless
   * set, never longer than `lastSeenEveryMs`; last-seen-batches.ts); 0: each ping writes alone.
   */
  lastSeenGatherMs?: number;
  /** Most hellos of one tenant answered together (hello-batches.ts, 500 unless set); 0: each hello alone. */
  maxHelloBatch?: number;
  /** Most bytes of frames the process takes in before answering them (intake.ts, 12 MiB unless set). */
  maxInflightBytes?: number;
  /** Most connections reading a frame at once (read-slots.ts, 32 unless set). */
  maxReadingFrames?: number;
}

export interface SessionDeps {
  resolver: TenantResolver;
  limits: SyncLimits;
  /** Tenant schema versions the cloud accepts from edges (oldest and newest). */
  schemaVersions: { min: number; max: number };
  /** Lines about this connection carry its id, and the org and device once known. */
  logger: Logger;
  now?: () => Date;
  /** Called once the device is known, so catalog pokes can reach it; returns the unsubscribe. */
  onReady?: (session: SyncSession) => () => void;
  /** Told of devices and batches (the cloud's metrics). */
  observer?: SyncObserver;
  /** A tenant's hellos answered together (the endpoint's); without it each hello asks alone. */
  hellos?: HelloBatches;
  /** Idle tills' contact writes gathered per tenant (the endpoint's); without it each ping writes alone. */
  lastSeen?: LastSeenBatches;
  /** The process's bound on frames taken in and not yet answered (the endpoint's); without it, none. */
  intake?: Intake;
  /** The process's read slots (the endpoint's); without them a connection reads whenever it may. */
  readSlots?: ReadSlots;
}

export interface SyncSession {
  orgId: string;
  deviceId: string;
  poke(cursor: number): void;
  /** Some of the device's quarantined mutations were resolved: an edge of protocol 4 is told `resolved`. */
  resolved(): void;
  /** The device was revoked: `unauthorized`, then close. */
  revoke(): void;
}

/** The session's clock: `deps.now`, or the wall clock. */
export const sessionClock = (deps: Pick<SessionDeps, 'now'>): (() => Date) => deps.now ?? (() => new Date());
