// SPEC §9: no floating point on any money path. The domain folder may not round with Math, parse
// floats, format with toFixed, hold decimal literals, or divide numbers: the one division is the
// bigint half-up rounding in money.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const domain = fileURLToPath(new URL('../../src/domain/', import.meta.url));
const forbidden: [RegExp, string][] = [
  [/\bMath\.(round|floor|ceil|trunc|fround|pow)\b/, 'Math rounding'],
  [/\b(parseFloat|toFixed|toPrecision)\b/, 'float parsing or formatting'],
  [/(?<![\w.])\d*\.\d+(?![\w.])/, 'a decimal literal'],
  [/(?<![\w.])\d+(\.\d*)?e[-+]?\d+/i, 'an exponent literal'],
  [/\*\*/, 'exponentiation'],
  [/[\w)\]]\s*\/\s*[\w(]/, 'a division'],
];
/** The single allowed division: bigint, inside divRoundHalfUp. */
const allowed = ['(magnitude * 2n + denominator) / (denominator * 2n)'];

/** Source lines with comments and string contents blanked (block comments keep their line breaks). */
function codeLines(file: string): { line: number; text: string }[] {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((text, i) => ({ line: i + 1, text: text.replace(/\/\/.*$/, '').replace(/'[^']*'|`[^`]*`/g, "''") }));
}

describe('no floating point on a money path', () => {
  it('src/domain uses integer minor units and bigint arithmetic only', () => {
    const offences: string[] = [];
    for (const name of readdirSync(domain).filter((f) => f.endsWith('.ts'))) {
      for (const { line, text } of codeLines(join(domain, name))) {
        if (allowed.some((a) => text.includes(a))) continue;
        for (const [pattern, what] of forbidden) {
          if (pattern.test(text)) offences.push(`src/domain/${name}:${line}: ${what}: ${text.trim()}`);
        }
      }
    }
    expect(offences).toEqual([]);
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
  });
});
