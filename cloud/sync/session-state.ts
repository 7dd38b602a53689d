// What one sync connection's message handlers know of it: the device once welcomed, its logger, and
// when the device row's contact times were last written. The connection part owns the socket; the
// handlers read and update this state and return what to send (handler-result.ts).
import type { Logger } from '../../src/log.ts';
import { type HandlerResult, unexpected } from './handler-result.ts';

/** The device a connection speaks for, once its hello was welcomed. */
export interface Ready {
  orgId: string;
  deviceId: string;
  branchCode: string;
  currency: string;
  protocolVersion: number;
}

export interface SessionState {
  readonly authorization: string | undefined;
  /** Set by the connection when a hello's result welcomes the device. */
  ready: Ready | undefined;
  log: Logger;
  /** When `last_seen_at` was last written (by a ping or a push's transaction). */
  lastSeenWritten: number;
  /** When the device's reported backlog was last written (by its hello or a ping). */
  backlogWritten: number;
}

export function newSessionState(authorization: string | undefined, log: Logger): SessionState {
  return { authorization, ready: undefined, log, lastSeenWritten: Date.now(), backlogWritten: Date.now() };
}

/**
 * `fn` for the welcomed device, at least at protocol `minProtocol` for `what`; before the hello (or
 * below that protocol) an `unexpected_message` error, and the connection stays open.
 */
export function whenReady(
  state: SessionState,
  minProtocol: { version: number; what: string } | undefined,
  fn: (session: Ready) => Promise<HandlerResult>,
): Promise<HandlerResult> {
  const session = state.ready;
  if (!session) return Promise.resolve(unexpected('send hello first'));
  if (minProtocol && session.protocolVersion < minProtocol.version) {
    return Promise.resolve(unexpected(`${minProtocol.what} needs protocol ${minProtocol.version}`));
  }
  return fn(session);
}
