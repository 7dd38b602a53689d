// Whether a WebSocket is part-way through a fragmented message. `ws` holds a message's fragments in
// memory until its last one comes, and a control frame (ping, pong) may arrive between them: that
// control frame does not end the connection's read (read-slots.ts), or a client could hold a message
// part-read in every connection without a slot by pinging between its fragments. ws 8 keeps this in
// its receiver (`_fragmented`: the message's opcode, 0 when none); the read slots' connection tests
// pin it, so a ws upgrade that changes it fails them rather than silently lifting the bound.
import type { WebSocket } from 'ws';

interface ReceiverState {
  _receiver?: { _fragmented?: number } | null;
}

export const midMessage = (ws: WebSocket): boolean =>
  ((ws as unknown as ReceiverState)._receiver?._fragmented ?? 0) !== 0;
