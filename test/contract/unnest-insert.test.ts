// The set-based inserts (cloud/sync/unnest.ts) on every engine: the array literals they send
// (src/db/array-literal.ts) read back, element for element, as the arrays they were made from
// (quotes, backslashes, commas, braces, the word NULL, empty strings, non-ASCII text, numbers, int8s
// past 2^31, booleans and nulls), and an insert that answers with the ids it inserted names exactly
// those: all of them, or, after a conflict, all but the ones already there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unnestInsert, unnestInsertIds } from '../../cloud/sync/unnest.ts';
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

  it('answers with the ids inserted: every row, or all but those already there', async () => {
    await p.control.transaction(async (tx) => {
      await tx.exec('CREATE TEMP TABLE id_rows (id text PRIMARY KEY, n int4) ON COMMIT DROP');
      const columns = [
        ['id', 'text', (r: { id: string; n: number }) => r.id],
        ['n', 'int4', (r: { id: string; n: number }) => r.n],
      ] as const;
      const rows = (ids: string[]) => ids.map((id, n) => ({ id, n }));
      const idOf = (r: { id: string }) => r.id;
      expect(await unnestInsertIds(tx, 'id_rows', columns, rows(['a', 'b', 'c']), idOf)).toEqual(
        new Set(['a', 'b', 'c']),
      );
      expect(await unnestInsertIds(tx, 'id_rows', columns, rows(['b', 'd', 'e']), idOf)).toEqual(
        new Set(['d', 'e']),
      );
      expect(await unnestInsertIds(tx, 'id_rows', columns, rows(['a', 'b']), idOf)).toEqual(new Set());
      // The same id twice in one batch: it goes in once.
      expect(await unnestInsertIds(tx, 'id_rows', columns, rows(['f', 'f']), idOf)).toEqual(new Set(['f']));
      expect(await unnestInsertIds(tx, 'id_rows', columns, [], idOf)).toEqual(new Set());
      const [count] = await tx.query<{ n: string | number }>('SELECT count(*) AS n FROM id_rows');
      expect(Number(count?.n)).toBe(6);
    });
  });
});
