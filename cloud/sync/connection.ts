// One sync connection's state and its ways to answer: send a message or an error, close once, and
// refuse (log, error, close). Handlers of the connection's messages share it.
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { SqlDatabase } from '../../src/db/sql.ts';
import type { Logger } from '../../src/log.ts';
import type { SyncErrorCode } from '../../src/protocol/errors.ts';
import type { Down } from '../../src/protocol/messages.ts';
import type { Refusal } from './refusal.ts';
import type { SessionDeps, SyncLimits } from './session-deps.ts';

/** The device a connection speaks for, once its hello was welcomed. */
export interface Ready {
  orgId: string;
  deviceId: string;
  branchCode: string;
  currency: string;
  protocolVersion: number;
}

export interface Connection {
  readonly deps: SessionDeps;
  readonly limits: SyncLimits;
  readonly now: () => Date;
  readonly authorization: string | undefined;
  ready: Ready | undefined;
  unsubscribe: (() => void) | undefined;
  closed: boolean;
  log: Logger;
  /** When `last_seen_at` was last written (by a ping or a push's transaction). */
  lastSeenWritten: number;
  /** When the device's reported backlog was last written (by its hello or a ping). */
  backlogWritten: number;
  send(message: Down): void;
  sendError(
    code: SyncErrorCode,
    message: string,
    extra?: { retryAfterMs?: number; details?: Record<string, unknown> },
  ): void;
  close(code: number, reason: string): void;
  refuse(r: Refusal): void;
  withTenant<T>(orgId: string, fn: (db: SqlDatabase) => Promise<T>): Promise<T>;
}

export function openConnection(
  ws: WebSocket,
  authorization: string | undefined,
  deps: SessionDeps,
): Connection {
  const conn: Connection = {
    deps,
    limits: deps.limits,
    now: deps.now ?? (() => new Date()),
    authorization,
    ready: undefined,
    unsubscribe: undefined,
    closed: false,
    log: deps.logger.child({ conn: randomUUID() }),
    lastSeenWritten: Date.now(),
    backlogWritten: Date.now(),
    send: (message) => {
      if (!conn.closed && ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    },
    sendError: (code, message, extra = {}) => conn.send({ type: 'error', code, message, ...extra }),
    close: (code, reason) => {
      if (conn.closed) return;
      conn.closed = true;
      ws.close(code, reason.slice(0, 120));
    },
    refuse: (r) => {
      conn.log.warn({ code: r.code, closeCode: r.closeCode }, `sync refused: ${r.message}`);
      conn.sendError(r.code, r.message, r.retryAfterMs === undefined ? {} : { retryAfterMs: r.retryAfterMs });
      conn.close(r.closeCode, r.code);
    },
    withTenant: (orgId, fn) => deps.resolver.withTenant(orgId, fn),
  };
  return conn;
}
