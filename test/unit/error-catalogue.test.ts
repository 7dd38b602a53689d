// docs/errors.md is generated from the code's error tables; it must never drift from them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { edgeErrors } from '../../edge/errors.ts';
import { ERROR_CATALOGUE_PATH, renderErrorCatalogue } from '../../src/cli/error-catalogue.ts';
import { domainErrorCodes } from '../../src/domain/outcome.ts';
import { errorCodes } from '../../src/errors.ts';
import { closeCodes, isFinalClose, isRetriedWithBackoff, syncErrorCodes } from '../../src/protocol/errors.ts';
import { mutationResultSchema } from '../../src/protocol/messages.ts';
import { rejectionCodes } from '../../src/protocol/rejections.ts';

describe('the error catalogue', () => {
  it('docs/errors.md is what the tables generate (run npm run docs:errors after changing one)', () => {
    expect(readFileSync(ERROR_CATALOGUE_PATH, 'utf8')).toBe(renderErrorCatalogue());
  });

  it('lists every code of every table, each with a meaning', () => {
    const doc = renderErrorCatalogue();
    const tables = [errorCodes, syncErrorCodes, rejectionCodes, edgeErrors];
    for (const t of tables) {
      for (const [c, info] of Object.entries(t)) {
        expect(doc).toContain(`\`${c}\``);
        expect((info as { meaning: string }).meaning.length).toBeGreaterThan(10);
      }
    }
  });

  it('every domain refusal has an HTTP status at the edge', () => {
    for (const c of Object.keys(domainErrorCodes)) expect(edgeErrors).toHaveProperty(c);
  });
});

describe('retry is data beside the code', () => {
  it('the edge retries with backoff exactly the sync codes marked backoff, and unknown codes', () => {
    const slowest = Object.entries(syncErrorCodes)
      .filter(([, e]) => e.retry === 'slowest')
      .map(([c]) => c)
      .sort();
    expect(slowest).toEqual(['device_in_use', 'seq_conflict', 'unauthorized', 'upgrade_required']);
    for (const c of Object.keys(syncErrorCodes)) expect(isRetriedWithBackoff(c)).toBe(!slowest.includes(c));
    expect(isRetriedWithBackoff('some_future_code')).toBe(true);
  });

  it('only a refused token or version closes the socket for good', () => {
    const final = Object.values(closeCodes).filter((n) => isFinalClose(n));
    expect(final.sort()).toEqual([closeCodes.unauthorized, closeCodes.upgradeRequired]);
    expect(isFinalClose(undefined)).toBe(false);
  });
});

describe('rejection codes are the protocol', () => {
  it("a mutation result's code is one of them", () => {
    expect(
      mutationResultSchema.safeParse({ seq: 1, id: 's1', status: 'rejected', code: 'wrong_branch' }).success,
    ).toBe(true);
    expect(
      mutationResultSchema.safeParse({ seq: 1, id: 's1', status: 'rejected', code: 'made_up' }).success,
    ).toBe(false);
    expect(Object.keys(rejectionCodes)).toContain('awaiting_original');
  });
});
