// The till's clock dates every document. One that reads outside MIN_YEAR–MAX_YEAR (a dead clock
// battery reads 1970) would make documents the cloud quarantines as out of bounds: the edge refuses
// to record them instead, visibly, until the clock is set (src/domain/bounds.ts, docs/bounds.md).
import { instantInRange, MAX_YEAR, MIN_YEAR } from '../../src/domain/bounds.ts';
import { type EdgeOutcome, refuseWith } from '../errors.ts';

/** `clock_out_of_range` when `at` is outside the years a document may carry; undefined otherwise. */
export function clockRefusal(at: Date): EdgeOutcome<never> | undefined {
  if (instantInRange(at)) return undefined;
  return refuseWith(
    'clock_out_of_range',
    `this terminal's clock reads ${at.toISOString()}; documents are dated ${MIN_YEAR}–${MAX_YEAR}: set the clock`,
    { now: at.toISOString() },
  );
}
