// What a sync message handler returns instead of touching the socket: `ok` with the replies to send
// in order (errors that leave the connection open among them) and, for a welcomed hello, the device
// to register; `refused` with the refusal that ends the connection; `fatal` with an unexpected error,
// which the connection logs and refuses as `internal_error`.
import type { SyncErrorCode } from '../../src/protocol/errors.ts';
import type { Down, Hello } from '../../src/protocol/messages.ts';
import type { Refusal } from './refusal.ts';
import type { Ready } from './session-state.ts';

/** A welcomed hello: the connection registers the device (pokes, metrics) before sending the welcome. */
export interface Welcomed {
  ready: Ready;
  hello: Hello;
}

export type HandlerResult =
  | { type: 'ok'; replies: Down[]; welcomed?: Welcomed }
  | { type: 'refused'; refusal: Refusal }
  | { type: 'fatal'; error: unknown };

export const ok = (...replies: Down[]): HandlerResult => ({ type: 'ok', replies });

export const refused = (refusal: Refusal): HandlerResult => ({ type: 'refused', refusal });

export const fatal = (error: unknown): HandlerResult => ({ type: 'fatal', error });

/** An `error` message for the edge. */
export const errorReply = (
  code: SyncErrorCode,
  message: string,
  extra: { retryAfterMs?: number; details?: Record<string, unknown> } = {},
): Down => ({ type: 'error', code, message, ...extra });

/** A message out of place (a second hello, a read before the hello): answered, not closed. */
export const unexpected = (message: string): HandlerResult => ok(errorReply('unexpected_message', message));
