// One edge's sync connection: hello → welcome (or a refusal and a close), then pushes acknowledged
// after they commit, pulls answered with catalog pages, pokes when the tenant's catalog moves, and
// heartbeats both ways. Messages of a connection are handled one at a time, in order.
import type { WebSocket } from 'ws';
import { closeCodes } from '../../src/protocol/errors.ts';
import { PROTOCOL_VERSION, QUEUE_OVERFLOW_CODE_SINCE } from '../../src/protocol/version.ts';
import { type ParsedMutation, parsePayloads } from './apply-batch.ts';
import { type Connection, openConnection } from './connection.ts';
import { type ParsedFrame, readFrame } from './frame.ts';
import { Refusal, tenantRefusal } from './refusal.ts';
import type { SessionDeps } from './session-deps.ts';
import { handleHello } from './session-hello.ts';
import { handlePing } from './session-ping.ts';
import { handlePush } from './session-push.ts';
import { handleOutcomes, handlePull, handleStockPull } from './session-reads.ts';

/** Messages a connection may have waiting for their replies (heartbeat pings ride along with a push). */
const MAX_QUEUED = 64;

async function handle(
  conn: Connection,
  parsed: ParsedFrame,
  payloads?: ReadonlyMap<number, ParsedMutation['parsed']>,
): Promise<void> {
  // Refused and closing: what was still queued is not run against the tenant's database.
  if (conn.closed) return;
  if (!parsed.ok) {
    if ('code' in parsed) {
      conn.sendError('frame_too_large', parsed.reason, {
        details: { maxFrameBytes: conn.limits.maxFrameBytes },
      });
    } else conn.sendError('invalid_message', parsed.reason);
    return;
  }
  const message = parsed.message;
  try {
    if (message.type === 'hello') await handleHello(conn, message);
    else if (message.type === 'push') await handlePush(conn, message, payloads);
    else if (message.type === 'pull') await handlePull(conn, message);
    else if (message.type === 'outcomes') await handleOutcomes(conn, message);
    else if (message.type === 'stock_pull') await handleStockPull(conn, message);
    else await handlePing(conn, message);
  } catch (err) {
    const protocol = message.type === 'hello' ? message.protocolVersion : conn.ready?.protocolVersion;
    const refusal = err instanceof Refusal ? err : tenantRefusal(err, protocol);
    if (refusal) {
      if (refusal.code === 'unexpected_message') conn.sendError(refusal.code, refusal.message);
      else conn.refuse(refusal);
      return;
    }
    conn.log.error({ err }, 'sync: internal error');
    conn.refuse(new Refusal('internal_error', 'internal error', closeCodes.unavailable, 5_000));
  }
}

export function startSession(ws: WebSocket, authorization: string | undefined, deps: SessionDeps): void {
  const conn = openConnection(ws, authorization, deps);
  const { limits } = conn;
  let queue = Promise.resolve();
  let queued = 0;
  let lastHeard = Date.now();
  ws.on('message', (data, isBinary) => {
    lastHeard = Date.now();
    // Every reply, errors included, goes through the queue: replies come in the order of requests.
    // Parsed on arrival, so the next frame's parsing overlaps the database work of the one before.
    const parsed = readFrame(data, isBinary, limits.maxFrameBytes);
    if (parsed.ok && parsed.message.type === 'hello') clearTimeout(helloDeadline);
    // An edge waits for each reply before its next request; one that floods the queue is broken.
    if (++queued > MAX_QUEUED) {
      const protocol = conn.ready?.protocolVersion ?? PROTOCOL_VERSION;
      conn.refuse(
        new Refusal(
          protocol >= QUEUE_OVERFLOW_CODE_SINCE ? 'too_many_in_flight' : 'invalid_message',
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
      .then(() => handle(conn, parsed, payloads))
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
      conn.closed = true;
      ws.terminate();
    } else if (ws.readyState === ws.OPEN) ws.ping();
  }, limits.heartbeatMs);
  heartbeat.unref();
  // A socket that never says hello holds a connection and a session for nothing (pings keep it alive).
  const helloDeadline = setTimeout(
    () => conn.close(closeCodes.helloTimeout, 'hello_timeout'),
    limits.helloTimeoutMs,
  );
  helloDeadline.unref();
  ws.on('close', () => {
    conn.closed = true;
    clearInterval(heartbeat);
    clearTimeout(helloDeadline);
    conn.unsubscribe?.();
    if (conn.ready) {
      deps.observer?.deviceGone(conn.ready.orgId, conn.ready.deviceId);
      conn.log.info('sync closed');
    }
  });
  ws.on('error', () => {
    // A broken socket closes; 'close' cleans up.
  });
}
