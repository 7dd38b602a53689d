#!/usr/bin/env node
// The `modernpos` executable. Node 20 cannot run TypeScript itself, so tsx's loader is registered
// first; everything else lives in main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
