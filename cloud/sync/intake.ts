// The process's sync intake: a bound on the bytes of edges' frames a cloud process has taken in and
// not yet answered, shared by every sync connection. A frame is admitted (parsed, queued for its
// tenant) while the bytes fit; one that does not fit waits, unparsed, in arrival order behind the
// others. While frames wait, every welcomed connection's socket is paused, so what the edges send
// stays in their and the kernel's buffers instead of this process's memory. Sleepers are woken
// longest asleep first: one for each waiting frame admitted, and once nothing waits as many as the
// room left would take frames of the average size admitted (all of them once the intake is empty). Pausing only delays reading: nothing is dropped, and each connection's frames
// keep their order.

/** What the intake pauses and resumes: one connection's socket reading. */
export interface IntakeSleeper {
  sleep(): void;
  wake(): void;
}

export interface IntakeStats {
  maxBytes: number;
  /** Bytes admitted and not yet answered. */
  inFlight: number;
  /** The most `inFlight` has been since the intake was made. */
  peakInFlight: number;
  /** Frames waiting for room. */
  waiting: number;
  /** Connections paused by the intake right now. */
  asleep: number;
  /** Frames that had to wait for room, since the intake was made. */
  waited: number;
}

export interface Intake {
  /**
   * Admits a frame of `bytes` now if nothing waits before it and it fits (a frame larger than the
   * bound is admitted alone, into an empty intake); true if admitted.
   */
  tryAdmit(bytes: number): boolean;
  /** Queues a frame of `bytes` behind the others; `admitted` is called once it fits. Returns a cancel. */
  wait(bytes: number, admitted: () => void): () => void;
  /** An admitted frame of `bytes` was answered (or dropped). */
  release(bytes: number): void;
  /** Registers a welcomed connection to be paused while frames wait; returns its unregister. */
  register(sleeper: IntakeSleeper): () => void;
  stats(): IntakeStats;
}

/** Bytes of frames in flight per cloud process, unless MODERNPOS_SYNC_MAX_INFLIGHT_MIB says otherwise. */
export const DEFAULT_MAX_INFLIGHT_BYTES = 12 * 1024 * 1024;

export function createIntake(maxBytes: number): Intake {
  let inFlight = 0;
  let peakInFlight = 0;
  let waited = 0;
  /** Frames admitted and their bytes: the average frame, to guess how many sleepers the room takes. */
  let admittedFrames = 0;
  let admittedBytes = 0;
  const waiters: { bytes: number; admitted: () => void }[] = [];
  const sleepers = new Set<IntakeSleeper>();
  /** Paused by the intake, longest asleep first (a Set keeps insertion order). */
  const asleep = new Set<IntakeSleeper>();

  const fits = (bytes: number) => inFlight === 0 || inFlight + bytes <= maxBytes;
  const take = (bytes: number) => {
    admittedFrames++;
    admittedBytes += bytes;
    inFlight += bytes;
    peakInFlight = Math.max(peakInFlight, inFlight);
  };
  const wakeOne = () => {
    const first = asleep.values().next();
    if (first.done) return;
    asleep.delete(first.value);
    first.value.wake();
  };
  const wakeAll = () => {
    for (const s of [...asleep]) {
      asleep.delete(s);
      s.wake();
    }
  };

  const release = (bytes: number) => {
    inFlight -= bytes;
    while (waiters.length > 0 && fits(waiters[0]!.bytes)) {
      const next = waiters.shift()!;
      take(next.bytes);
      next.admitted();
      // Each admission makes a place in the line: the longest asleep may bring its frame.
      wakeOne();
    }
    if (waiters.length === 0) {
      if (inFlight === 0) wakeAll();
      else {
        // Some woken have nothing to send (idle tills, or their frame already in): wake for the room.
        const average = Math.max(1024, admittedBytes / Math.max(1, admittedFrames));
        const room = Math.max(1, Math.ceil((maxBytes - inFlight) / average));
        for (let i = 0; i < room && asleep.size > 0; i++) wakeOne();
      }
    }
  };
  const sleep = (s: IntakeSleeper) => {
    if (asleep.has(s)) return;
    asleep.add(s);
    s.sleep();
  };

  return {
    tryAdmit(bytes) {
      if (waiters.length > 0 || !fits(bytes)) return false;
      take(bytes);
      return true;
    },
    wait(bytes, admitted) {
      const waiter = { bytes, admitted };
      waiters.push(waiter);
      waited++;
      // Room ran out: nobody reads more until frames are answered.
      if (waiters.length === 1) for (const s of sleepers) sleep(s);
      return () => {
        const at = waiters.indexOf(waiter);
        if (at < 0) return;
        waiters.splice(at, 1);
        // The head may have been all that held the others back.
        if (at === 0) release(0);
      };
    },
    release,
    register(sleeper) {
      sleepers.add(sleeper);
      if (waiters.length > 0) sleep(sleeper);
      return () => {
        sleepers.delete(sleeper);
        asleep.delete(sleeper);
      };
    },
    stats: () => ({
      maxBytes,
      inFlight,
      peakInFlight,
      waiting: waiters.length,
      asleep: asleep.size,
      waited,
    }),
  };
}
