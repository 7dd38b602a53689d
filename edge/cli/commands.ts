// The edge commands of `modernpos` (SPEC §5): `edge` runs the agent (the cashier API now; continuous
// sync with the sync issue). It starts and sells without the cloud: nothing here touches the network.
import { existsSync } from 'node:fs';
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import { AppError } from '../../src/errors.ts';
import { resolveEdgeConfig } from '../config.ts';
import { startEdgeServer } from '../server.ts';
import { BRANCH_REQUIRED, openEdgeStore } from '../store/store.ts';

async function runAgent(args: ParsedArgs, io: CliIO): Promise<number> {
  const config = resolveEdgeConfig(io.env, args.flags);
  if (config.identity.branch === undefined && !existsSync(config.dbFile)) {
    // Checked before the store file is created, so the mistake leaves nothing behind.
    throw new AppError('invalid_input', BRANCH_REQUIRED);
  }
  const store = await openEdgeStore(config.dbFile, {
    synchronous: config.synchronous,
    identity: config.identity,
  });
  const server = await startEdgeServer({
    store,
    port: config.port,
    hostname: config.host,
    log: (line) => io.err(line),
  }).catch((err) => {
    store.close();
    throw err;
  });
  io.out(`ModernPOS edge for branch ${store.branch} listening on ${server.url}`);
  io.out(`Store: ${config.dbFile} (synchronous=${config.synchronous}); cloud: ${config.identity.cloudUrl}`);
  io.out(`Try: curl ${server.url}/v1/sync/status`);
  const signal = await io.waitForStop();
  io.err(`received ${signal}; shutting down`);
  await server.stop();
  return EXIT.ok;
}

export async function runEdgeCommand(args: ParsedArgs, io: CliIO): Promise<number | undefined> {
  const [command, sub] = args.positionals;
  if (command !== 'edge') return undefined;
  if (sub !== undefined)
    throw new AppError('invalid_input', `unknown edge command ${sub}; see modernpos --help`);
  return runAgent(args, io);
}
