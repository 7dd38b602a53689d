// Parsing one WebSocket text frame into a message of a union: JSON, nesting depth, then the schema.
import type { z } from 'zod';

/** Deepest nesting a frame may have: a document is about five levels deep; far deeper is an attack. */
export const MAX_FRAME_DEPTH = 32;

/**
 * Whether `value` nests no deeper than `max`. Recursive, but never deeper than `max` frames (it stops
 * there), and allocation-free: a push of 500 documents holds some 30,000 values.
 */
function withinDepth(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (max === 0) return false;
  if (Array.isArray(value)) {
    for (const child of value) if (!withinDepth(child, max - 1)) return false;
    return true;
  }
  for (const key in value) {
    if (!withinDepth((value as Record<string, unknown>)[key], max - 1)) return false;
  }
  return true;
}

export type FrameParse<T> = { ok: true; message: T } | { ok: false; reason: string };

/** Parses one frame: the message, or why it is not one. */
export function parseFrame<T>(schema: z.ZodType<T>, frame: string): FrameParse<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(frame);
  } catch {
    return { ok: false, reason: 'frame is not JSON' };
  }
  if (!withinDepth(raw, MAX_FRAME_DEPTH)) {
    return { ok: false, reason: `frame nests deeper than ${MAX_FRAME_DEPTH} levels` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; '),
    };
  }
  return { ok: true, message: parsed.data };
}
