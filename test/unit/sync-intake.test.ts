// The sync intake (cloud/sync/intake.ts): frames admitted while their bytes fit, the rest waiting in
// arrival order, welcomed connections paused while frames wait and woken as room comes back.
import { describe, expect, it } from 'vitest';
import { createIntake, type IntakeSleeper } from '../../cloud/sync/intake.ts';

const KIB = 1024;

/** A connection's socket as the intake sees it: paused or reading. */
const sleeper = () => {
  const s = { paused: false, sleeps: 0 };
  const handle: IntakeSleeper = {
    sleep() {
      s.paused = true;
      s.sleeps++;
    },
    wake() {
      s.paused = false;
    },
  };
  return { s, handle };
};

describe('sync intake', () => {
  it('admits frames while they fit and makes the rest wait in arrival order', () => {
    const intake = createIntake(100);
    expect(intake.tryAdmit(60)).toBe(true);
    expect(intake.tryAdmit(50)).toBe(false);
    const order: string[] = [];
    intake.wait(50, () => order.push('a'));
    // Nothing overtakes a waiting frame, even one that would fit.
    expect(intake.tryAdmit(10)).toBe(false);
    intake.wait(10, () => order.push('b'));
    intake.wait(70, () => order.push('c'));
    expect(intake.stats()).toMatchObject({ inFlight: 60, waiting: 3, waited: 3 });
    intake.release(60);
    expect(order).toEqual(['a', 'b']);
    expect(intake.stats()).toMatchObject({ inFlight: 60, waiting: 1 });
    intake.release(50);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(intake.stats()).toMatchObject({ inFlight: 80, waiting: 0, peakInFlight: 80 });
  });

  it('never holds more than its bound, except one frame larger than it, alone', () => {
    const intake = createIntake(100);
    const sizes = [40, 70, 30, 250, 20, 90, 10, 60];
    const admitted: number[] = [];
    for (const bytes of sizes) {
      if (intake.tryAdmit(bytes)) admitted.push(bytes);
      else intake.wait(bytes, () => admitted.push(bytes));
    }
    let peakWithOthers = 0;
    while (admitted.length > 0) {
      const { inFlight } = intake.stats();
      if (inFlight > 100) expect(inFlight).toBe(250);
      else peakWithOthers = Math.max(peakWithOthers, inFlight);
      intake.release(admitted.shift()!);
    }
    expect(peakWithOthers).toBeLessThanOrEqual(100);
    expect(intake.stats()).toMatchObject({ inFlight: 0, waiting: 0, peakInFlight: 250 });
  });

  it('pauses every welcomed connection while a frame waits and wakes them, longest asleep first', () => {
    const intake = createIntake(100);
    const [a, b, c, d] = [sleeper(), sleeper(), sleeper(), sleeper()];
    const leaveA = intake.register(a.handle);
    for (const x of [b, c, d]) intake.register(x.handle);
    expect(intake.tryAdmit(60)).toBe(true);
    expect(intake.tryAdmit(30)).toBe(true);
    expect([a, b, c, d].map((x) => x.s.paused)).toEqual([false, false, false, false]);
    let admitted = false;
    intake.wait(50, () => {
      admitted = true;
    });
    expect([a, b, c, d].map((x) => x.s.paused)).toEqual([true, true, true, true]);
    expect(intake.stats().asleep).toBe(4);
    // A connection that closes leaves the intake: it is never woken.
    leaveA();
    // The waiting frame is admitted (a place in the line: one woken), and the answer freed room (one more).
    intake.release(60);
    expect(admitted).toBe(true);
    expect([b, c, d].map((x) => x.s.paused)).toEqual([false, false, true]);
    intake.release(30);
    expect(d.s.paused).toBe(false);
    expect(a.s.paused).toBe(true);
    expect(intake.stats()).toMatchObject({ inFlight: 50, waiting: 0, asleep: 0 });
  });

  it('once nothing waits, wakes as many as the room takes frames of the average size', () => {
    const intake = createIntake(100 * KIB);
    const all = Array.from({ length: 8 }, () => sleeper());
    for (const x of all) intake.register(x.handle);
    const awake = () => all.filter((x) => !x.s.paused).length;
    for (const bytes of [20, 20, 20, 20].map((k) => k * KIB)) expect(intake.tryAdmit(bytes)).toBe(true);
    intake.wait(40 * KIB, () => {});
    expect(awake()).toBe(0);
    // The waiting 40 admitted: one woken for its place in the line, one for the answer (no room left).
    intake.release(20 * KIB);
    expect(awake()).toBe(2);
    // Room for 20, frames average 24 KiB: one more.
    intake.release(20 * KIB);
    expect(awake()).toBe(3);
    // Room for 60: three more; the rest sleep on.
    intake.release(40 * KIB);
    expect(awake()).toBe(6);
    expect(intake.stats()).toMatchObject({ inFlight: 40 * KIB, waiting: 0, asleep: 2 });
  });

  it('wakes everyone once nothing is in flight', () => {
    const intake = createIntake(10);
    const all = Array.from({ length: 5 }, () => sleeper());
    for (const x of all) intake.register(x.handle);
    expect(intake.tryAdmit(10)).toBe(true);
    const cancel = intake.wait(10, () => {
      throw new Error('cancelled, never admitted');
    });
    expect(all.every((x) => x.s.paused)).toBe(true);
    cancel();
    intake.release(10);
    expect(all.some((x) => x.s.paused)).toBe(false);
    expect(intake.stats()).toMatchObject({ inFlight: 0, waiting: 0, asleep: 0 });
  });

  it('puts a connection welcomed while frames wait to sleep with the others', () => {
    const intake = createIntake(10);
    expect(intake.tryAdmit(10)).toBe(true);
    intake.wait(5, () => {});
    const late = sleeper();
    intake.register(late.handle);
    expect(late.s.paused).toBe(true);
    intake.release(10);
    expect(late.s.paused).toBe(false);
  });
});
