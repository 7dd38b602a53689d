// SPEC §9: no floating point on any money path. Money is carried everywhere as integer minor units
// named `…Minor` (TypeScript) or `…_minor` (SQL), beside quantities in thousandths (`…Milli`) and tax
// rates in basis points (`…Bp`). Three rules, over every source file of src/, edge/ and cloud/ and
// every migration:
// - src/domain (money, tax, sale rules) may not round with Math, parse floats, format with toFixed,
//   hold decimal literals or divide numbers: the one division is the bigint half-up rounding in money.ts;
// - anywhere else, a line naming an amount, quantity or rate may not do any of that either, and
//   nothing anywhere parses or formats with floats (parseFloat, toFixed, toPrecision);
// - no migration declares a floating or decimal column (money columns are BIGINT or INTEGER).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const isDomain = (file: string) => file.startsWith('src/domain/');

const floatFormatting: [RegExp, string] = [
  /\b(parseFloat|toFixed|toPrecision)\b/,
  'float parsing or formatting',
];
const floatArithmetic: [RegExp, string][] = [
  [/\bMath\.(round|floor|ceil|trunc|fround|pow)\b/, 'Math rounding'],
  [/(?<![\w.])\d*\.\d+(?![\w.])/, 'a decimal literal'],
  [/(?<![\w.])\d+(\.\d*)?e[-+]?\d+/i, 'an exponent literal'],
  [/\*\*/, 'exponentiation'],
  [/[\w)\]]\s*\/\s*[\w(]/, 'a division'],
];
const forbidden: [RegExp, string][] = [floatFormatting, ...floatArithmetic];

/** A line that names money or what it is computed from, by the project's naming. */
const moneyName = /(Minor|Milli|Bp)\b|_(minor|milli|bp)\b/;

/** The single allowed division in src/domain: bigint, inside divRoundHalfUp. */
const allowedInDomain = ['(magnitude * 2n + denominator) / (denominator * 2n)'];

/** Code outside src/domain allowed to format with floats (matched within one line), each with its reason. */
const exclusions: { file: string; code: string; reason: string }[] = [
  {
    file: 'edge/cli/commands.ts',
    code: 'const seconds = ((Date.now() - started) / 1000).toFixed(1)',
    reason: 'elapsed seconds shown to a person after a manual sync; no amount is involved',
  },
  {
    file: 'cloud/cli/format.ts',
    code: ': value.toFixed(1)}',
    reason: "a tenant database's size in KiB/MiB/GiB for the operator's table; no amount is involved",
  },
];

/** Every .ts file under `dir`, as paths relative to the repository root. */
function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/**
 * Source lines with comments and quoted string contents blanked (block comments keep their line
 * breaks). Template literals are kept outside src/domain: they hold the SQL, a money path too.
 */
function codeLines(file: string): { line: number; text: string }[] {
  const strings = isDomain(file) ? /'[^']*'|`[^`]*`/g : /'[^']*'/g;
  return readFileSync(join(root, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((text, i) => ({ line: i + 1, text: text.replace(/\/\/.*$/, '').replace(strings, "''") }));
}

/** What the rules `check` gives for each line find in `files`, as `file:line: what: code`. */
function offences(files: string[], check: (file: string, text: string) => [RegExp, string][]): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const { line, text } of codeLines(file)) {
      for (const [pattern, what] of check(file, text)) {
        if (pattern.test(text)) found.push(`${file}:${line}: ${what}: ${text.trim()}`);
      }
    }
  }
  return found;
}

/** The rules that apply to one line outside src/domain. */
const rulesOutsideDomain = (file: string, text: string): [RegExp, string][] => {
  const excluded = exclusions.some((e) => e.file === file && text.includes(e.code));
  return [...(excluded ? [] : [floatFormatting]), ...(moneyName.test(text) ? floatArithmetic : [])];
};

describe('no floating point on a money path', () => {
  it('src/domain uses integer minor units and bigint arithmetic only', () => {
    const files = sources('src/domain');
    expect(files.length).toBeGreaterThan(5);
    const found = offences(files, (_, text) =>
      allowedInDomain.some((a) => text.includes(a)) ? [] : forbidden,
    );
    expect(found).toEqual([]);
  });

  it('src/, edge/ and cloud/ never parse or format with floats, nor round, divide or use fractions on a line naming an amount', () => {
    const files = ['src', 'edge', 'cloud'].flatMap(sources).filter((f) => !isDomain(f));
    expect(files.filter((f) => f.startsWith('cloud/')).length).toBeGreaterThan(20);
    expect(files.filter((f) => f.startsWith('edge/')).length).toBeGreaterThan(10);
    expect(offences(files, rulesOutsideDomain)).toEqual([]);
    // Each exclusion still names a line that exists: a stale one would hide nothing and mislead.
    for (const e of exclusions) {
      expect(
        codeLines(e.file).some(({ text }) => text.includes(e.code)),
        `${e.file}: ${e.reason}`,
      ).toBe(true);
    }
  });

  it('no migration declares a floating or decimal column, and every money column is an integer', () => {
    const dir = join(root, 'migrations');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sql'));
    expect(files.length).toBeGreaterThan(5);
    const found: string[] = [];
    for (const file of files) {
      const lines = readFileSync(join(dir, file), 'utf8').split('\n');
      lines.forEach((raw, i) => {
        const text = raw.replace(/--.*$/, '');
        const where = `migrations/${file}:${i + 1}: ${text.trim()}`;
        if (/\b(numeric|decimal|real|float\d*|double\s+precision|money)\b/i.test(text)) found.push(where);
        const column = /^\s*(\w+_minor)\s+(\w+)/i.exec(text);
        if (column && !/^(BIGINT|INTEGER)$/i.test(column[2]!)) found.push(where);
      });
    }
    expect(found).toEqual([]);
  });

  it('catches a float sneaking in', () => {
    const sample = 'const tax = Math.round(net * 0.2);';
    expect(forbidden.some(([p]) => p.test(sample))).toBe(true);
    for (const sneaky of ['const each = total / count;', 'net * .2', 'net * 2e-1', 'net ** -1', 'x = 0.5']) {
      expect(
        forbidden.some(([p]) => p.test(sneaky)),
        sneaky,
      ).toBe(true);
    }
    // Outside src/domain: any float formatting, and arithmetic on a line naming money.
    for (const sneaky of [
      'const shown = (totalMinor / 100).toFixed(2);',
      'const each = Math.floor(amountMinor / count);',
      'const amount = parseFloat(body.amount);',
      '`SELECT sum(total_minor) / 100 AS euros FROM sales`',
      'const unit = qtyMilli * 0.001;',
      'const rate = taxRateBp / 10000;',
    ]) {
      expect(
        rulesOutsideDomain('cloud/reports/x.ts', sneaky).some(([p]) => p.test(sneaky)),
        sneaky,
      ).toBe(true);
    }
    // Timing and byte arithmetic, which names no money, stays allowed.
    const timing = 'const seconds = (performance.now() - started) / 1000;';
    expect(rulesOutsideDomain('cloud/x.ts', timing).some(([p]) => p.test(timing))).toBe(false);
  });
});
