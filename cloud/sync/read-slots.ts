// The process's read slots: how many sync connections may be part-way through reading a frame at
// once. The intake (intake.ts) bounds the frames taken in, but a frame is only seen once `ws` has
// read all of it, and a cloud reading 1,000 sockets in turn, 64 KiB each, holds nearly every pushed
// frame in full before the first one is complete. So a connection takes a slot when bytes arrive
// (before `ws` reads them) and gives it back when its frame is complete; one that finds no slot free
// stops reading after that chunk, its frame's rest waiting in the edge's and the kernel's buffers,
// until a slot is handed to it, longest waiting first. A frame that stalls (no bytes for a turn, 5 s,
// while it may read) gives its slot up and queues again behind the others, so no stalled connection,
// and no socket that never says hello, keeps the others from reading. Pausing only delays reading:
// nothing is dropped, and each connection's bytes keep their order.

/** A connection as the slots see it: told when a slot it waited for is its own. */
export interface SlotReader {
  granted(): void;
}

export interface ReadSlotStats {
  slots: number;
  /** Slots held right now. */
  reading: number;
  /** Connections waiting for a slot. */
  waiting: number;
  /** Times a connection had to wait, since the slots were made. */
  waited: number;
}

export interface ReadSlots {
  /** How long a frame may stall (no bytes while it may read) before its slot goes to the next. */
  readonly turnMs: number;
  /** Takes a slot for `reader` (true), or queues it to be `granted` one (false). Holding one already: true. */
  acquire(reader: SlotReader): boolean;
  /** `reader` is no longer reading a frame: its slot, or its place in the queue, goes. */
  release(reader: SlotReader): void;
  stats(): ReadSlotStats;
}

/** Connections reading a frame at once per cloud process, unless the limits say otherwise. */
export const DEFAULT_READ_SLOTS = 32;
/** A turn: a frame whose bytes stop coming for this long gives its slot to the next. */
export const DEFAULT_TURN_MS = 5_000;

export function createReadSlots(slots: number, turnMs = DEFAULT_TURN_MS): ReadSlots {
  if (!Number.isInteger(slots) || slots < 1)
    throw new Error(`read slots must be a whole number ≥ 1, not ${slots}`);
  const reading = new Set<SlotReader>();
  /** Waiting for a slot, longest waiting first (a Set keeps insertion order). */
  const waiting = new Set<SlotReader>();
  let waited = 0;

  return {
    turnMs,
    acquire(reader) {
      if (reading.has(reader)) return true;
      if (waiting.has(reader)) return false;
      if (reading.size < slots) {
        reading.add(reader);
        return true;
      }
      waiting.add(reader);
      waited++;
      return false;
    },
    release(reader) {
      waiting.delete(reader);
      if (!reading.delete(reader)) return;
      const next = waiting.values().next();
      if (next.done) return;
      waiting.delete(next.value);
      reading.add(next.value);
      next.value.granted();
    },
    stats: () => ({ slots, reading: reading.size, waiting: waiting.size, waited }),
  };
}
