// One edge's sync connection, the part that alone talks to the socket: frames read while the
// connection holds one of the process's read slots (read-slots.ts), taken in through the process's
// intake (intake.ts: parsed, with a push's payloads, once their bytes fit; until then kept unparsed
// and the socket paused), messages handed to the message handler one at a time in order
// through a bounded queue, its results sent (`ok`), or turned into an error and a close (`refused`,
// `fatal`), a device registered for pokes once welcomed, heartbeats both ways and the hello deadline.
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Down, Up } from '../../src/protocol/messages.ts';
import { PROTOCOL_VERSION, QUEUE_OVERFLOW_CODE_SINCE } from '../../src/protocol/version.ts';
import { frameBytes, type ParsedFrame } from './frame.ts';
import { errorReply, fatal, type HandlerResult, type Welcomed } from './handler-result.ts';
import { readIncoming } from './incoming.ts';
import { createIntake, type Intake } from './intake.ts';
import type { ParsedMutation } from './parsed-mutation.ts';
import { slotTurn } from './read-slots.ts';
import { Refusal } from './refusal.ts';
import type { SessionDeps } from './session-deps.ts';
import { newSessionState, type SessionState } from './session-state.ts';
import { midMessage } from './ws-fragments.ts';

/** Messages a connection may have waiting for their replies (heartbeat pings ride along with a push). */
export const MAX_QUEUED = 64;

/** What the connection part needs of the session's dependencies; the rest is the handler's. */
export type ConnectionDeps = Pick<
  SessionDeps,
  'limits' | 'logger' | 'onReady' | 'observer' | 'intake' | 'readSlots'
>;

/** A frame read from the socket, not yet taken in. */
interface HeldFrame {
  data: RawData;
  isBinary: boolean;
  bytes: number;
}

/** Handles one message of the connection; its result says what to send, or why to close. */
export type MessageHandler<D extends ConnectionDeps> = (
  state: SessionState,
  message: Up,
  deps: D,
  payloads?: ReadonlyMap<number, ParsedMutation['parsed']>,
) => Promise<HandlerResult>;

/**
 * Runs one connection. `socket` is the one `ws` reads (the upgrade's): with the endpoint's read slots
 * in `deps`, its bytes are watched as they arrive, before `ws` reads them.
 */
export function startConnection<D extends ConnectionDeps>(
  ws: WebSocket,
  authorization: string | undefined,
  deps: D,
  handler: MessageHandler<D>,
  socket?: Duplex,
): void {
  const { limits } = deps;
  const state = newSessionState(authorization, deps.logger.child({ conn: randomUUID() }));
  let closed = false;
  let unsubscribe: (() => void) | undefined;
  // Without the endpoint's intake (a connection on its own), no bound but the connection's own.
  const intake: Intake = deps.intake ?? createIntake(Number.POSITIVE_INFINITY);
  let leaveIntake: (() => void) | undefined;

  const send = (message: Down) => {
    if (!closed && ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    // A read slot goes back at once, and a paused socket is read again so the edge's answer to the
    // close is heard (else ws waits 30 s for it).
    turn?.close();
    if (ws.isPaused) ws.resume();
    ws.close(code, reason.slice(0, 120));
  };
  const refuse = (r: Refusal) => {
    state.log.warn({ code: r.code, closeCode: r.closeCode }, `sync refused: ${r.message}`);
    send(errorReply(r.code, r.message, r.retryAfterMs === undefined ? {} : { retryAfterMs: r.retryAfterMs }));
    close(r.closeCode, r.code);
  };

  /** A welcomed device: registered for pokes, resolutions and revocation, and counted as connected. */
  const register = ({ ready, hello }: Welcomed) => {
    state.ready = ready;
    state.log = state.log.child({ org: ready.orgId, device: ready.deviceId });
    state.log.info(
      { protocol: hello.protocolVersion, schema: hello.schemaVersion, agent: hello.agent },
      'sync connected',
    );
    deps.observer?.deviceConnected(ready.orgId, ready.deviceId);
    deps.observer?.deviceSeen(ready.orgId, ready.deviceId, hello.backlog);
    if (hello.backlog?.pending === 0) deps.observer?.deviceSynced(ready.orgId, ready.deviceId, true);
    // Paused with the others while the process's intake is full.
    leaveIntake = intake.register({
      sleep: () => {
        asleep = true;
        // It keeps its read slot, or its place in the line: the slots bound the frames part-read.
        turn?.sleep();
        setReading();
      },
      wake: () => {
        asleep = false;
        turn?.wake();
        setReading();
      },
    });
    unsubscribe = deps.onReady?.({
      orgId: ready.orgId,
      deviceId: ready.deviceId,
      poke: (cursor) => send({ type: 'poke', cursor }),
      // Older edges know no such message: they learn nothing, as before.
      resolved: () => {
        if (ready.protocolVersion >= 4) send({ type: 'resolved' });
      },
      revoke: () => refuse(new Refusal('unauthorized', 'the device was revoked', closeCodes.unauthorized)),
    });
  };

  const settle = (result: HandlerResult) => {
    if (result.type === 'refused') refuse(result.refusal);
    else if (result.type === 'fatal') {
      state.log.error({ err: result.error }, 'sync: internal error');
      refuse(new Refusal('internal_error', 'internal error', closeCodes.unavailable, 5_000));
    } else if (!closed) {
      // The socket may have gone while the tenant answered: a dead session is never registered.
      if (result.welcomed) register(result.welcomed);
      for (const reply of result.replies) send(reply);
    }
  };

  const run = async (parsed: ParsedFrame, payloads?: ReadonlyMap<number, ParsedMutation['parsed']>) => {
    // Refused and closing: what was still queued is not run against the tenant's database.
    if (closed) return;
    if (!parsed.ok) {
      if ('code' in parsed) {
        send(
          errorReply('frame_too_large', parsed.reason, { details: { maxFrameBytes: limits.maxFrameBytes } }),
        );
      } else send(errorReply('invalid_message', parsed.reason));
      return;
    }
    // A handler that throws instead of returning a result is an internal error all the same.
    settle(await handler(state, parsed.message, deps, payloads).catch(fatal));
  };

  let queue = Promise.resolve();
  /** Frames received and not yet answered (held or taken in). */
  let queued = 0;
  /** Frames read but not taken in yet, in order; the first may be waiting for room in the intake. */
  const held: HeldFrame[] = [];
  let cancelWait: (() => void) | undefined;
  /** Paused by the intake while other connections' frames wait for room. */
  let asleep = false;
  let helloSeen = false;
  /** The hello deadline was stopped while a frame waited for room: it starts again if that was no hello. */
  let deadlineStopped = false;
  let lastHeard = Date.now();

  /** Its read slot (read-slots.ts), taken as a frame's first bytes arrive, before `ws` reads them. */
  const turn = socket && deps.readSlots ? slotTurn(deps.readSlots, () => setReading()) : undefined;
  if (turn) socket?.prependListener('data', () => turn.bytes());

  /**
   * The socket is read while nothing waits to be taken in, the intake lets it, and it may read a frame.
   */
  const setReading = () => {
    if (closed) return;
    const pause = held.length > 0 || asleep || turn?.waiting === true;
    if (pause && !ws.isPaused) ws.pause();
    else if (!pause && ws.isPaused) {
      // Its pongs waited unread behind the pause: silence while paused is not death.
      lastHeard = Date.now();
      ws.resume();
    }
  };

  /** A frame read: a hello stops the hello deadline; anything else starts it again if a wait stopped it. */
  const noteHello = (parsed: ParsedFrame) => {
    if (parsed.ok && parsed.message.type === 'hello') {
      helloSeen = true;
      clearTimeout(helloDeadline);
    } else if (deadlineStopped && !helloSeen) armHelloDeadline();
    deadlineStopped = false;
  };

  /** Reads a frame whose bytes the intake admitted and queues it behind the others. */
  const takeIn = (frame: HeldFrame) => {
    // Read on taking in (a push's payloads too), so the next frame's parsing overlaps the database
    // work of the one before: only the SQL waits its turn.
    const { parsed, payloads } = readIncoming(frame.data, frame.isBinary, limits);
    noteHello(parsed);
    queue = queue
      .then(() => run(parsed, payloads))
      .finally(() => {
        queued--;
        intake.release(frame.bytes);
        takeInHeld();
      });
  };

  /** Takes in held frames, in order, while the intake has room for them. */
  const takeInHeld = () => {
    while (held.length > 0 && !cancelWait && !closed) {
      const frame = held[0]!;
      if (!intake.tryAdmit(frame.bytes)) {
        // Waiting its turn is not the silence the hello deadline is for.
        if (!helloSeen) {
          clearTimeout(helloDeadline);
          deadlineStopped = true;
        }
        cancelWait = intake.wait(frame.bytes, () => {
          cancelWait = undefined;
          held.shift();
          takeIn(frame);
          takeInHeld();
        });
        break;
      }
      held.shift();
      takeIn(frame);
    }
    setReading();
  };

  ws.on('message', (data, isBinary) => {
    lastHeard = Date.now();
    turn?.frameDone();
    if (closed) return;
    // Every reply, errors included, goes through the queue: replies come in the order of requests.
    // An edge waits for each reply before its next request; one that floods the queue is broken.
    if (++queued > MAX_QUEUED) {
      const protocol = state.ready?.protocolVersion ?? PROTOCOL_VERSION;
      refuse(
        new Refusal(
          protocol >= QUEUE_OVERFLOW_CODE_SINCE ? 'too_many_in_flight' : 'invalid_message',
          `more than ${MAX_QUEUED} messages awaiting replies`,
          closeCodes.protocolError,
        ),
      );
      return;
    }
    held.push({ data, isBinary, bytes: frameBytes(data) });
    takeInHeld();
  });
  /**
   * A control frame is complete: its slot goes back (unless it came between a message's fragments,
   * whose rest is still to read), and reading goes on if nothing else stops it.
   */
  const controlFrame = () => {
    if (!midMessage(ws)) turn?.frameDone();
    setReading();
  };
  ws.on('pong', () => {
    lastHeard = Date.now();
    controlFrame();
  });
  ws.on('ping', controlFrame);
  // Heartbeat: a ping every interval; a connection silent for two intervals is dead and is dropped.
  const heartbeat = setInterval(() => {
    // A paused socket's pongs wait unread: it is not judged until it is read again.
    if (ws.isPaused) lastHeard = Date.now();
    if (Date.now() - lastHeard > 2 * limits.heartbeatMs) {
      closed = true;
      ws.terminate();
    } else if (ws.readyState === ws.OPEN) ws.ping();
  }, limits.heartbeatMs);
  heartbeat.unref();
  // A socket that never says hello holds a connection and a session for nothing (pings keep it alive).
  let helloDeadline: NodeJS.Timeout | undefined;
  const armHelloDeadline = () => {
    clearTimeout(helloDeadline);
    helloDeadline = setTimeout(() => close(closeCodes.helloTimeout, 'hello_timeout'), limits.helloTimeoutMs);
    helloDeadline.unref();
  };
  armHelloDeadline();
  ws.on('close', () => {
    closed = true;
    clearInterval(heartbeat);
    clearTimeout(helloDeadline);
    // What waited unread is dropped; what was taken in gives its bytes back as its turn passes.
    held.length = 0;
    turn?.close();
    cancelWait?.();
    cancelWait = undefined;
    leaveIntake?.();
    unsubscribe?.();
    if (state.ready) {
      deps.observer?.deviceGone(state.ready.orgId, state.ready.deviceId);
      state.log.info('sync closed');
    }
  });
  ws.on('error', () => {
    // A broken socket closes; 'close' cleans up.
  });
}
