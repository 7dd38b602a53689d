// An incoming WebSocket frame to an up message: too large, binary, or parsed JSON text (which may
// itself fail to parse). Pure: the session decides what to answer.
import type { RawData } from 'ws';
import { type FrameParse, parseFrame, type Up, upSchema } from '../../src/protocol/messages.ts';

/**
 * What the session gets for a frame: the protocol's parse result, or a frame too large to read at all
 * (a limit of this connection, told with its size: the protocol itself knows no frame size).
 */
export type ParsedFrame = FrameParse<Up> | { ok: false; reason: string; code: 'frame_too_large' };

/** A frame's size in bytes, as `ws` hands it over (one buffer, or its fragments). */
export const frameBytes = (data: RawData): number =>
  Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;

export function readFrame(data: RawData, isBinary: boolean, maxFrameBytes: number): ParsedFrame {
  const bytes = frameBytes(data);
  if (bytes > maxFrameBytes) {
    return { ok: false, reason: `frames are at most ${maxFrameBytes} bytes`, code: 'frame_too_large' };
  }
  if (isBinary) return { ok: false, reason: 'frames are JSON text' };
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as Buffer).toString('utf8');
  return parseFrame(upSchema, text);
}
