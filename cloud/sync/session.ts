// One edge's sync connection: hello → welcome (or a refusal and a close), then pushes acknowledged
// after they commit, pulls answered with catalog pages, pokes when the tenant's catalog moves, and
// heartbeats both ways. Messages of a connection are handled one at a time, in order.
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { SqlDatabase } from '../../src/db/sql.ts';
import { parseDeviceToken } from '../../src/domain/tenant-token.ts';
import type { Logger } from '../../src/log.ts';
import { closeCodes, type SyncErrorCode } from '../../src/protocol/errors.ts';
import {
  type Backlog,
  type Down,
  type Hello,
  MAX_STOCK_PAGE,
  type OutcomesRequest,
  type Pull,
  type Push,
  type StockPull,
} from '../../src/protocol/messages.ts';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../src/protocol/version.ts';
import { deviceIsActive } from '../devices/devices.ts';
import { touchDevice } from '../devices/last-seen.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { applyBatch, type ParsedMutation, parsePayloads } from './apply-batch.ts';
import { type ParsedFrame, readFrame } from './frame.ts';
import { heldAsRejected } from './held-as-rejected.ts';
import { helloTenant } from './hello.ts';
import { readOutcomes } from './outcomes.ts';
import { readChanges } from './pull.ts';
import { readStockMovements } from './pull-stock.ts';
import { Refusal, refuseUnservedHello, tenantRefusal } from './refusal.ts';

/** Messages a connection may have waiting for their replies (heartbeat pings ride along with a push). */
const MAX_QUEUED = 64;

export interface SyncLimits {
  maxFrameBytes: number;
  maxBatchMutations: number;
  heartbeatMs: number;
  /** A socket that sends no hello within this long is closed (`closeCodes.helloTimeout`). */
  helloTimeoutMs: number;
  /** Most catalog changes per page. */
  pullPageSize: number;
  /** How often a ping may write the device's `last_seen_at` (and its sync times; pushes always do). */
  lastSeenEveryMs: number;
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
}

export type BatchResult = 'applied' | 'seq_gap' | 'seq_conflict' | 'failed';

export interface SyncObserver {
  /** A device was welcomed on this connection (`deviceGone` follows when it closes). */
  deviceConnected(orgId: string, deviceId: string): void;
  /** A device said hello, pinged or pushed; `backlog` when it reported one (protocol 2). */
  deviceSeen(orgId: string, deviceId: string, backlog?: Backlog): void;
  /**
   * The cloud acknowledged the device (its `lastSyncAt`, docs/freshness.md): a push batch was
   * acked (`outboxEmpty` false), or a hello or ping reported an empty outbox (true).
   */
  deviceSynced(orgId: string, deviceId: string, outboxEmpty: boolean): void;
  deviceGone(orgId: string, deviceId: string): void;
  /** A push was answered after `seconds`: acknowledged (with its results) or refused. */
  batch(orgId: string, seconds: number, result: BatchResult, statuses?: readonly string[]): void;
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

export function startSession(ws: WebSocket, authorization: string | undefined, deps: SessionDeps): void {
  const { limits } = deps;
  const now = deps.now ?? (() => new Date());
  let ready:
    | { orgId: string; deviceId: string; branchCode: string; currency: string; protocolVersion: number }
    | undefined;
  let unsubscribe: (() => void) | undefined;
  let queue = Promise.resolve();
  let queued = 0;
  let lastHeard = Date.now();
  let closed = false;
  let log = deps.logger.child({ conn: randomUUID() });

  const send = (message: Down) => {
    if (!closed && ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const sendError = (
    code: SyncErrorCode,
    message: string,
    extra: { retryAfterMs?: number; details?: Record<string, unknown> } = {},
  ) => send({ type: 'error', code, message, ...extra });
  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    ws.close(code, reason.slice(0, 120));
  };
  const refuse = (r: Refusal) => {
    log.warn({ code: r.code, closeCode: r.closeCode }, `sync refused: ${r.message}`);
    sendError(r.code, r.message, r.retryAfterMs === undefined ? {} : { retryAfterMs: r.retryAfterMs });
    close(r.closeCode, r.code);
  };

  const withTenant = <T>(orgId: string, fn: (db: SqlDatabase) => Promise<T>) =>
    deps.resolver.withTenant(orgId, fn);

  /**
   * An idle till that pings is in touch even with nothing to push: its `last_seen_at` moves on at
   * most once a minute, so heartbeats do not become writes. A ping reporting an empty outbox also
   * moves `last_sync_at` and `outbox_empty_at`: everything that till recorded is here.
   */
  let lastSeenWritten = Date.now();
  const touchLastSeen = async (session: { orgId: string; deviceId: string }, backlog?: Backlog) => {
    if (Date.now() - lastSeenWritten < limits.lastSeenEveryMs) return;
    lastSeenWritten = Date.now();
    // A heartbeat is answered whatever the tenant database says; pushes report its troubles.
    await withTenant(session.orgId, (db) => touchDevice(db, session.deviceId, now(), backlog)).catch(
      (err: unknown) => log.debug({ err }, 'sync: last seen not written'),
    );
  };

  async function hello(message: Hello): Promise<void> {
    if (ready)
      throw new Refusal('unexpected_message', 'hello was already received', closeCodes.protocolError);
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    const parsed = token === undefined ? undefined : parseDeviceToken(token);
    if (!token || !parsed)
      throw new Refusal(
        'unauthorized',
        'a device token is required (Authorization: Bearer mpd_…)',
        closeCodes.unauthorized,
      );
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(message.protocolVersion)) {
      throw new Refusal(
        'upgrade_required',
        `protocol ${message.protocolVersion} is not supported; this cloud speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`,
        closeCodes.upgradeRequired,
      );
    }
    const { min, max } = deps.schemaVersions;
    if (message.schemaVersion < min || message.schemaVersion > max) {
      throw new Refusal(
        'upgrade_required',
        `tenant schema ${message.schemaVersion} is not supported; this cloud accepts ${min}–${max}`,
        closeCodes.upgradeRequired,
      );
    }
    const welcome = await withTenant(parsed.orgId, (db) =>
      helloTenant(db, parsed.orgId, token, message, now),
    ).catch((err: unknown) => refuseUnservedHello(deps.resolver, parsed.orgId, token, err));
    // The socket may have gone while the tenant answered: a dead session is never registered.
    if (closed) return;
    ready = {
      orgId: parsed.orgId,
      deviceId: welcome.device.id,
      branchCode: welcome.device.branchCode,
      currency: welcome.currency,
      protocolVersion: message.protocolVersion,
    };
    log = log.child({ org: ready.orgId, device: ready.deviceId });
    log.info(
      { protocol: message.protocolVersion, schema: message.schemaVersion, agent: message.agent },
      'sync connected',
    );
    deps.observer?.deviceConnected(ready.orgId, ready.deviceId);
    deps.observer?.deviceSeen(ready.orgId, ready.deviceId, message.backlog);
    if (message.backlog?.pending === 0) deps.observer?.deviceSynced(ready.orgId, ready.deviceId, true);
    unsubscribe = deps.onReady?.({
      orgId: parsed.orgId,
      deviceId: welcome.device.id,
      poke: (cursor) => send({ type: 'poke', cursor }),
      // Older edges know no such message: they learn nothing, as before.
      resolved: () => {
        if (message.protocolVersion >= 4) send({ type: 'resolved' });
      },
      revoke: () => refuse(new Refusal('unauthorized', 'the device was revoked', closeCodes.unauthorized)),
    });
    send({
      type: 'welcome',
      protocolVersion: message.protocolVersion,
      orgId: parsed.orgId,
      deviceId: welcome.device.id,
      branch: { code: welcome.device.branchCode, timeZone: welcome.device.branchTimeZone },
      terminals: message.terminals.filter((t) => welcome.terminals.has(t)),
      lastAppliedSeq: welcome.device.lastAppliedSeq,
      latestCursor: welcome.cursor,
      limits: { maxFrameBytes: limits.maxFrameBytes, maxBatchMutations: limits.maxBatchMutations },
      heartbeatMs: limits.heartbeatMs,
    });
  }

  async function push(
    message: Push,
    payloads: ReadonlyMap<number, ParsedMutation['parsed']> | undefined,
  ): Promise<void> {
    if (!ready) throw new Refusal('unexpected_message', 'send hello first', closeCodes.protocolError);
    if (message.mutations.length > limits.maxBatchMutations) {
      sendError('batch_too_large', `a push carries at most ${limits.maxBatchMutations} mutations`, {
        details: { maxBatchMutations: limits.maxBatchMutations },
      });
      return;
    }
    const session = ready;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const outcome = await withTenant(session.orgId, (db) =>
      applyBatch(db, {
        deviceId: session.deviceId,
        scope: { branchCode: session.branchCode, currency: session.currency },
        mutations: message.mutations,
        ...(payloads ? { parsed: payloads } : {}),
        now,
      }),
    ).catch((err: unknown) => {
      deps.observer?.batch(session.orgId, seconds(), 'failed');
      throw err;
    });
    deps.observer?.batch(
      session.orgId,
      seconds(),
      outcome.ok ? 'applied' : outcome.code,
      outcome.ok ? outcome.results.map((r) => r.status) : undefined,
    );
    deps.observer?.deviceSeen(session.orgId, session.deviceId);
    lastSeenWritten = Date.now(); // the batch's transaction wrote it
    if (outcome.ok) {
      // The batch's transaction also moved `last_sync_at`: the ack is what the device syncs by.
      deps.observer?.deviceSynced(session.orgId, session.deviceId, false);
      const results = heldAsRejected(outcome.results, session.protocolVersion);
      send({ type: 'ack', results, lastAppliedSeq: outcome.lastAppliedSeq });
    } else if (outcome.code === 'seq_gap') {
      sendError('seq_gap', outcome.message, { details: { expectedSeq: outcome.expectedSeq } });
    } else throw new Refusal('seq_conflict', outcome.message, closeCodes.unauthorized);
  }

  async function pull(message: Pull): Promise<void> {
    if (!ready) throw new Refusal('unexpected_message', 'send hello first', closeCodes.protocolError);
    const session = ready;
    const page = await withTenant(session.orgId, async (db) => {
      if (!(await deviceIsActive(db, session.deviceId))) {
        throw new Refusal('unauthorized', 'the device was revoked', closeCodes.unauthorized);
      }
      return readChanges(
        db,
        message.cursor,
        Math.min(message.limit ?? limits.pullPageSize, limits.pullPageSize),
      );
    });
    send({ type: 'changes', ...page });
  }

  async function stockPull(message: StockPull): Promise<void> {
    if (!ready) throw new Refusal('unexpected_message', 'send hello first', closeCodes.protocolError);
    if (ready.protocolVersion < 5) {
      throw new Refusal('unexpected_message', 'stock_pull needs protocol 5', closeCodes.protocolError);
    }
    const session = ready;
    const page = await withTenant(session.orgId, async (db) => {
      if (!(await deviceIsActive(db, session.deviceId))) {
        throw new Refusal('unauthorized', 'the device was revoked', closeCodes.unauthorized);
      }
      return readStockMovements(
        db,
        session.branchCode,
        session.deviceId,
        message.cursor,
        Math.min(message.limit ?? MAX_STOCK_PAGE, MAX_STOCK_PAGE),
      );
    });
    send({ type: 'stock_changes', ...page });
  }

  async function outcomes(message: OutcomesRequest): Promise<void> {
    if (!ready) throw new Refusal('unexpected_message', 'send hello first', closeCodes.protocolError);
    if (ready.protocolVersion < 4) {
      throw new Refusal('unexpected_message', 'outcomes needs protocol 4', closeCodes.protocolError);
    }
    const session = ready;
    const found = await withTenant(session.orgId, async (db) => {
      if (!(await deviceIsActive(db, session.deviceId))) {
        throw new Refusal('unauthorized', 'the device was revoked', closeCodes.unauthorized);
      }
      return readOutcomes(db, session.deviceId, message.seqs);
    });
    send({ type: 'outcomes', outcomes: found });
  }

  async function handle(
    parsed: ParsedFrame,
    payloads?: ReadonlyMap<number, ParsedMutation['parsed']>,
  ): Promise<void> {
    // Refused and closing: what was still queued is not run against the tenant's database.
    if (closed) return;
    if (!parsed.ok) {
      if (parsed.code === 'frame_too_large') {
        sendError('frame_too_large', parsed.reason, { details: { maxFrameBytes: limits.maxFrameBytes } });
      } else sendError('invalid_message', parsed.reason);
      return;
    }
    const message = parsed.message;
    try {
      if (message.type === 'hello') await hello(message);
      else if (message.type === 'push') await push(message, payloads);
      else if (message.type === 'pull') await pull(message);
      else if (message.type === 'outcomes') await outcomes(message);
      else if (message.type === 'stock_pull') await stockPull(message);
      else {
        if (ready) {
          deps.observer?.deviceSeen(ready.orgId, ready.deviceId, message.backlog);
          if (message.backlog?.pending === 0) deps.observer?.deviceSynced(ready.orgId, ready.deviceId, true);
          await touchLastSeen(ready, message.backlog);
        }
        send({ type: 'pong', ...(message.at === undefined ? {} : { at: message.at }) });
      }
    } catch (err) {
      const protocol = message.type === 'hello' ? message.protocolVersion : ready?.protocolVersion;
      const refusal = err instanceof Refusal ? err : tenantRefusal(err, protocol);
      if (refusal) {
        if (refusal.code === 'unexpected_message') sendError(refusal.code, refusal.message);
        else refuse(refusal);
        return;
      }
      log.error({ err }, 'sync: internal error');
      refuse(new Refusal('internal_error', 'internal error', closeCodes.unavailable, 5_000));
    }
  }

  ws.on('message', (data, isBinary) => {
    lastHeard = Date.now();
    // Every reply, errors included, goes through the queue: replies come in the order of requests.
    // Parsed on arrival, so the next frame's parsing overlaps the database work of the one before.
    const parsed = readFrame(data, isBinary, limits.maxFrameBytes);
    if (parsed.ok && parsed.message.type === 'hello') clearTimeout(helloDeadline);
    // An edge waits for each reply before its next request; one that floods the queue is broken.
    if (++queued > MAX_QUEUED) {
      refuse(
        new Refusal(
          'invalid_message',
          `more than ${MAX_QUEUED} messages awaiting replies`,
          closeCodes.protocolError,
        ),
      );
      return;
    }
    // A push's payloads too (pure work): only the SQL waits its turn.
    const payloads =
      parsed.ok &&
      parsed.message.type === 'push' &&
      parsed.message.mutations.length <= limits.maxBatchMutations
        ? parsePayloads(parsed.message.mutations)
        : undefined;
    queue = queue
      .then(() => handle(parsed, payloads))
      .finally(() => {
        queued--;
      });
  });
  ws.on('pong', () => {
    lastHeard = Date.now();
  });
  // Heartbeat: a ping every interval; a connection silent for two intervals is dead and is dropped.
  const heartbeat = setInterval(() => {
    if (Date.now() - lastHeard > 2 * limits.heartbeatMs) {
      closed = true;
      ws.terminate();
    } else if (ws.readyState === ws.OPEN) ws.ping();
  }, limits.heartbeatMs);
  heartbeat.unref();
  // A socket that never says hello holds a connection and a session for nothing (pings keep it alive).
  const helloDeadline = setTimeout(
    () => close(closeCodes.helloTimeout, 'hello_timeout'),
    limits.helloTimeoutMs,
  );
  helloDeadline.unref();
  ws.on('close', () => {
    closed = true;
    clearInterval(heartbeat);
    clearTimeout(helloDeadline);
    unsubscribe?.();
    if (ready) {
      deps.observer?.deviceGone(ready.orgId, ready.deviceId);
      log.info('sync closed');
    }
  });
  ws.on('error', () => {
    // A broken socket closes; 'close' cleans up.
  });
}
