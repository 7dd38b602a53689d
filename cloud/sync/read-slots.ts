// The process's read slots: how many sync connections may be part-way through reading a frame at
// once. The intake (intake.ts) bounds the frames taken in, but a frame is only seen once `ws` has
// read all of it, and a cloud reading 1,000 sockets in turn, 64 KiB each, holds nearly every pushed
// frame in full before the first one is complete. So a connection takes a slot when bytes arrive
// (before `ws` reads them) and gives it back when its frame is complete (for a fragmented message,
// its last fragment: ws-fragments.ts); one that finds no slot free stops reading after that chunk,
// its frame's rest waiting in the edge's and the kernel's buffers, until a slot is handed to it,
// longest waiting first. A frame that stalls (no bytes for a turn, 5 s, while it may read) gives its
// slot up and queues again behind the others, so no stalled connection, and no socket that never says
// hello, keeps the others from reading. Pausing only delays reading: nothing is dropped, and each
// connection's bytes keep their order.

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
  /** Whether `reader` holds a slot or waits for one. */
  state(reader: SlotReader): 'reading' | 'waiting' | undefined;
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
    state: (reader) => (reading.has(reader) ? 'reading' : waiting.has(reader) ? 'waiting' : undefined),
    stats: () => ({ slots, reading: reading.size, waiting: waiting.size, waited }),
  };
}

/** One connection's use of the slots (connection.ts tells it what happens on its socket). */
export interface SlotTurn {
  /** Bytes arrived, before `ws` reads them: they start a frame (a slot taken, or a place in the line) or go on with one. */
  bytes(): void;
  /** A frame (data or control) is complete: the slot goes back until the next bytes come. */
  frameDone(): void;
  /** The full intake paused the connection: it keeps its slot or its place, and its stall clock stops. */
  sleep(): void;
  wake(): void;
  /** The connection is closing: its slot or its place goes, and none is taken again. */
  close(): void;
  /** Waiting for a slot: the connection must not read. */
  readonly waiting: boolean;
}

/** A connection's turn at `slots`; `changed` is told when it must start or stop reading. */
export function slotTurn(slots: ReadSlots, changed: () => void): SlotTurn {
  let closed = false;
  let asleep = false;
  /** Ends the turn of a frame that stalled: no bytes for `turnMs` while it could read. */
  let stall: NodeJS.Timeout | undefined;
  const armStall = () => {
    clearTimeout(stall);
    if (asleep || closed) return;
    stall = setTimeout(stalled, slots.turnMs);
    stall.unref();
  };
  /** The frame stalled: the slot goes to the longest waiting, and this one queues again. */
  const stalled = () => {
    if (slots.state(reader) !== 'reading') return;
    slots.release(reader);
    if (slots.acquire(reader)) armStall();
    changed();
  };
  const reader: SlotReader = {
    granted: () => {
      // Closed while it waited: the slot goes straight on. (Asleep, it holds the slot, paused.)
      if (closed) return slots.release(reader);
      armStall();
      changed();
    },
  };
  return {
    bytes() {
      if (closed) return;
      const state = slots.state(reader);
      if (state === 'reading') armStall();
      else if (state === undefined) {
        if (slots.acquire(reader)) armStall();
        else changed();
      }
    },
    frameDone() {
      clearTimeout(stall);
      slots.release(reader);
    },
    sleep() {
      asleep = true;
      clearTimeout(stall);
    },
    wake() {
      asleep = false;
      if (slots.state(reader) === 'reading') armStall();
    },
    close() {
      closed = true;
      clearTimeout(stall);
      slots.release(reader);
    },
    get waiting() {
      return slots.state(reader) === 'waiting';
    },
  };
}
