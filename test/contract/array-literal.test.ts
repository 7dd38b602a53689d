// The array literals the set-based inserts send (src/db/array-literal.ts) read back, element for
// element, as the arrays they were made from, on every engine: quotes, backslashes, commas, braces,
// the word NULL, empty strings, non-ASCII text, numbers, int8s past 2^31, booleans and nulls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unnestInsert } from '../../cloud/sync/unnest.ts';
import { arrayLiteral } from '../../src/db/array-literal.ts';
import { createTestPlatform, engineNames, type TestPlatform } from '../helpers/engines.ts';

const texts = [
  'plain',
  'with "quotes"',
  'back\\slash',
  '\\"',
  'a,b',
  '{braces}',
  'NULL',
  'null',
  '',
  ' spaced ',
  'Ünïcödé €',
  '日本語',
  'emoji 🧾',
  'tab\there',
];

describe('array literals', () => {
  it('leaves an array holding anything but strings, numbers, booleans and nulls to the driver', () => {
    expect(arrayLiteral([1, new Date()])).toBeUndefined();
    expect(arrayLiteral([{ a: 1 }])).toBeUndefined();
    expect(arrayLiteral([])).toBe('{}');
    expect(arrayLiteral([null, undefined, true, false, 3, 2n])).toBe('{NULL,NULL,t,f,3,2}');
  });
});

describe.each(engineNames)('array literals read back on %s', (engine) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await createTestPlatform(engine);
  });
  afterAll(async () => {
    await p?.destroy();
  });

  const readBack = async (type: string, values: unknown[]) =>
    (
      await p.control.query<{ v: unknown }>(
        `SELECT v FROM unnest($1::${type}[]) WITH ORDINALITY AS u(v, n) ORDER BY n`,
        [arrayLiteral(values)],
      )
    ).map((r) => r.v);

  it('reads text back as sent, nulls included', async () => {
    expect(await readBack('text', [...texts, null])).toEqual([...texts, null]);
  });

  it('reads int8, int4 and booleans back as sent', async () => {
    expect(
      (await readBack('int8', [0, -1, 2 ** 53 - 1, null])).map((v) => (v === null ? v : Number(v))),
    ).toEqual([0, -1, 2 ** 53 - 1, null]);
    expect(await readBack('int4', [1, 2_147_483_647, -2_147_483_648])).toEqual([
      1, 2_147_483_647, -2_147_483_648,
    ]);
    expect(await readBack('bool', [true, false, null])).toEqual([true, false, null]);
  });

  it('writes rows through unnestInsert as the driver would', async () => {
    await p.control.transaction(async (tx) => {
      await tx.exec('CREATE TEMP TABLE literal_rows (n int4, t text, b bool, x int8) ON COMMIT DROP');
      const rows = texts.map((t, n) => ({ n, t, b: n % 2 === 0, x: n === 3 ? null : 2 ** 40 + n }));
      await unnestInsert(
        tx,
        'literal_rows',
        [
          ['n', 'int4', (r) => r.n],
          ['t', 'text', (r) => r.t],
          ['b', 'bool', (r) => r.b],
          ['x', 'int8', (r) => r.x],
        ],
        rows,
      );
      const back = await tx.query<{ n: number; t: string; b: boolean; x: string | null }>(
        'SELECT n, t, b, x FROM literal_rows ORDER BY n',
      );
      expect(back.map((r) => ({ ...r, x: r.x === null ? null : Number(r.x) }))).toEqual(rows);
    });
  });
});
