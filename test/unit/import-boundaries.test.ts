// Imports flow edge → src ← cloud (STYLE.md): edge and cloud never import each other, and src/
// imports neither, except src/cli, the composition root that dispatches to both.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  let out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out = out.concat(sources(path));
    else if (/\.(ts|mjs)$/.test(entry.name)) out.push(path);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

function crossings(
  dir: string,
  forbidden: string[],
  except: (file: string) => boolean = () => false,
): string[] {
  const bad: string[] = [];
  for (const file of sources(dir)) {
    if (except(file)) continue;
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = relative(root, join(root, file, '..', spec));
      if (forbidden.some((f) => target === f || target.startsWith(`${f}/`))) bad.push(`${file} → ${spec}`);
    }
  }
  return bad;
}

describe('import boundaries', () => {
  it('cloud never imports edge', () => {
    expect(crossings('cloud', ['edge'])).toEqual([]);
  });
  it('edge never imports cloud', () => {
    expect(crossings('edge', ['cloud'])).toEqual([]);
  });
  it('src imports neither edge nor cloud (src/cli excepted)', () => {
    expect(crossings('src', ['edge', 'cloud'], (f) => f.startsWith('src/cli/'))).toEqual([]);
  });
});
