#!/usr/bin/env node
// The `modernpos` executable. It runs the compiled build (.build/, made by src/cli/build.mjs), building
// it first when it is missing or older than a source file; MODERNPOS_FROM_SOURCE=1 runs the
// TypeScript sources through tsx instead (development; tsx is a devDependency). Everything else
// lives in main.ts.
let main;
if (process.env.MODERNPOS_FROM_SOURCE === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
} else {
  const { ensureBuilt, entryUrl } = await import('./build.mjs');
  ({ main } = await import(entryUrl(await ensureBuilt())));
}
process.exitCode = await main(process.argv.slice(2));
