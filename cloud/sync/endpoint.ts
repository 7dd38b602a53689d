// GET /v1/sync: the WebSocket upgrade on the cloud's HTTP server (`ws` in noServer mode), one
// connection per socket (connection.ts, handing its messages to handle-message.ts), and the registry
// of live sessions by tenant that catalog pokes go through.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { closeCodes } from '../../src/protocol/errors.ts';
import { startConnection } from './connection.ts';
import { handleMessage } from './handle-message.ts';
import { createHelloBatches, MAX_HELLO_BATCH } from './hello-batches.ts';
import { createIntake, DEFAULT_MAX_INFLIGHT_BYTES, type IntakeStats } from './intake.ts';
import { createLastSeenBatches } from './last-seen-batches.ts';
import { createReadSlots, DEFAULT_READ_SLOTS } from './read-slots.ts';
import { type SessionDeps, type SyncLimits, type SyncSession, sessionClock } from './session-deps.ts';

/**
 * The oldest tenant schema an edge may sync with: 2 brought the POS tables the documents land in.
 * Raise it (with a line in docs/sync-protocol.md) when the cloud stops reading an old shape.
 */
export const MIN_EDGE_SCHEMA_VERSION = 2;

/** How long an idle till's heartbeat write waits to be gathered with its tenant's others, by default. */
export const LAST_SEEN_GATHER_MS = 10_000;

export const defaultSyncLimits: SyncLimits = {
  maxFrameBytes: 1024 * 1024,
  maxBatchMutations: 500,
  heartbeatMs: 15_000,
  helloTimeoutMs: 10_000,
  pullPageSize: 500,
  lastSeenEveryMs: 60_000,
  maxHelloBatch: MAX_HELLO_BATCH,
};

export interface SyncEndpoint {
  /** Pokes every session of `orgId` on this process: its catalog reached `cursor`. */
  poke(orgId: string, cursor: number): void;
  /** Tells the sessions of a device on this process that some of its quarantined mutations were resolved. */
  resolved(orgId: string, deviceId: string): void;
  /** Ends the sessions of a revoked device on this process (`unauthorized`, close 4001). */
  revoke(orgId: string, deviceId: string): void;
  /** Pokes every session on this process, and tells it of resolutions (after missed notifications). */
  pokeAll(): void;
  /** Live sessions by tenant (for metrics and tests). */
  sessionCount(orgId?: string): number;
  /** The bytes of frames taken in and not yet answered, against the bound (for tests). */
  intakeStats(): IntakeStats;
  /** Closes every session (going away: the edges reconnect elsewhere) and stops accepting upgrades. */
  close(): Promise<void>;
}

export function attachSyncEndpoint(server: Server, deps: Omit<SessionDeps, 'onReady'>): SyncEndpoint {
  // Frames over the limit are answered `frame_too_large`; far over it, ws drops the connection
  // before buffering them (1009), so no edge can make the cloud hold more than this.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * deps.limits.maxFrameBytes });
  const byOrg = new Map<string, Set<SyncSession>>();
  // A reconnect storm's hellos, a tenant's at a time (hello-batches.ts).
  const maxHelloBatch = deps.limits.maxHelloBatch ?? MAX_HELLO_BATCH;
  const hellos =
    deps.hellos ??
    (maxHelloBatch > 0 ? createHelloBatches(deps.resolver, sessionClock(deps), maxHelloBatch) : undefined);
  // Idle tills' heartbeat writes, a tenant's at a time (last-seen-batches.ts).
  const gatherMs = Math.min(deps.limits.lastSeenGatherMs ?? LAST_SEEN_GATHER_MS, deps.limits.lastSeenEveryMs);
  const lastSeen =
    deps.lastSeen ?? (gatherMs > 0 ? createLastSeenBatches(deps.resolver, deps.logger, gatherMs) : undefined);
  // Every connection's frames, taken in within one bound (intake.ts).
  const intake = deps.intake ?? createIntake(deps.limits.maxInflightBytes ?? DEFAULT_MAX_INFLIGHT_BYTES);
  // And read a few at a time, so frames are not all held in full before the intake can say no (read-slots.ts).
  const readSlots = deps.readSlots ?? createReadSlots(deps.limits.maxReadingFrames ?? DEFAULT_READ_SLOTS);

  const onReady = (session: SyncSession) => {
    const set = byOrg.get(session.orgId) ?? new Set();
    set.add(session);
    byOrg.set(session.orgId, set);
    return () => {
      set.delete(session);
      if (set.size === 0) byOrg.delete(session.orgId);
    };
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/v1/sync') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) =>
      startConnection(
        ws,
        req.headers.authorization,
        {
          ...deps,
          onReady,
          intake,
          readSlots,
          ...(hellos ? { hellos } : {}),
          ...(lastSeen ? { lastSeen } : {}),
        },
        handleMessage,
        socket,
      ),
    );
  };
  server.on('upgrade', onUpgrade);

  return {
    poke(orgId, cursor) {
      for (const session of byOrg.get(orgId) ?? []) session.poke(cursor);
    },
    resolved(orgId, deviceId) {
      for (const session of byOrg.get(orgId) ?? []) if (session.deviceId === deviceId) session.resolved();
    },
    revoke(orgId, deviceId) {
      for (const session of byOrg.get(orgId) ?? []) if (session.deviceId === deviceId) session.revoke();
    },
    pokeAll() {
      for (const set of byOrg.values())
        for (const session of set) {
          session.poke(0);
          session.resolved();
        }
    },
    intakeStats: () => intake.stats(),
    sessionCount: (orgId) =>
      orgId === undefined
        ? [...byOrg.values()].reduce((n, s) => n + s.size, 0)
        : (byOrg.get(orgId)?.size ?? 0),
    async close() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(closeCodes.goingAway, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const client of wss.clients) client.terminate();
      await lastSeen?.flush();
    },
  };
}
