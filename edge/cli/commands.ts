// The edge commands of `modernpos` (SPEC §5): `edge` runs the agent (the cashier API and continuous
// sync; it starts and sells with the cloud unreachable), `edge sync --once` is nightly mode on the
// same database: push everything, pull everything, print a summary, exit. `edge journal verify`
// walks the terminals' hash chains of the database (docs/edge.md#the-journal) and exits 1 if one is broken.

import { existsSync } from 'node:fs';
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import { AppError } from '../../src/errors.ts';
import { lineLogger } from '../../src/log.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import { type EdgeConfig, readDeviceToken, resolveEdgeConfig, storeDeviceToken } from '../config.ts';
import { startEdgeServer } from '../server.ts';
import { BRANCH_REQUIRED, type EdgeStore, openEdgeStore } from '../store/store.ts';
import { ConnectionLost, connect } from '../sync/connection.ts';
import { cloudOriginals } from '../sync/fetch-original.ts';
import { SyncRefused, syncOn } from '../sync/sync-client.ts';
import { startSyncLoop } from '../sync/sync-loop.ts';

/** A running agent: its store, the cashier API and the sync loop. */
export interface RunningAgent {
  store: EdgeStore;
  url: string;
  /** Stops syncing, lets requests in flight finish, closes the store. */
  stop(): Promise<void>;
}

/** Starts the agent from a resolved configuration (cloud URL and token required) and prints where it is. */
export async function startAgent(config: EdgeConfig, io: CliIO): Promise<RunningAgent> {
  // Checked before the store opens: a bad log level is bad input, and leaves nothing open behind it.
  const baseLogger = lineLogger('edge', io.env.MODERNPOS_LOG_LEVEL, (line) => io.err(line));
  if (config.identity.branch === undefined && !existsSync(config.dbFile)) {
    // Checked before the store file is created, so the mistake leaves nothing behind.
    throw new AppError('invalid_input', BRANCH_REQUIRED);
  }
  const store = await openEdgeStore(config.dbFile, {
    synchronous: config.synchronous,
    identity: config.identity,
    refundApprovalAboveMinor: config.refundApprovalAboveMinor,
  });
  const logger = baseLogger.child({
    branch: store.branch,
    ...(config.identity.orgId ? { org: config.identity.orgId } : {}),
  });
  const token = config.token!;
  storeDeviceToken(config.dbFile, token);
  let sync: ReturnType<typeof startSyncLoop> | undefined;
  const server = await startEdgeServer({
    store,
    port: config.port,
    hostname: config.host,
    logger,
    syncConnected: () => sync?.connected() ?? false,
    openCashierApi: config.openCashierApi,
    fetchOriginal: cloudOriginals(config.identity.cloudUrl!, token),
  }).catch((err) => {
    store.close();
    throw err;
  });
  const loop = startSyncLoop(store, {
    cloudUrl: config.identity.cloudUrl!,
    token,
    retentionMs: config.retentionMs,
    logger,
  });
  sync = loop;
  store.outbox.onAppend(() => loop.kick());
  io.out(`ModernPOS edge for branch ${store.branch} listening on ${server.url}`);
  io.out(
    `Store: ${config.dbFile} (synchronous=${config.synchronous}); syncing with ${config.identity.cloudUrl}`,
  );
  io.out(
    config.openCashierApi
      ? 'Open cashier API is ON (--open-cashier-api): sales, refunds and shifts need no cashier sign-in; loopback only'
      : 'Cashiers sign in at POST /v1/cashier-sessions; writes need Authorization: Bearer <token>',
  );
  return {
    store,
    url: server.url,
    async stop() {
      await loop.stop();
      await server.stop();
    },
  };
}

async function runAgent(args: ParsedArgs, io: CliIO): Promise<number> {
  const agent = await startAgent(resolveEdgeConfig(io.env, args.flags), io);
  io.out(`Try: curl ${agent.url}/v1/sync/status`);
  const signal = await io.waitForStop();
  io.err(`received ${signal}; shutting down`);
  await agent.stop();
  io.err('stopped');
  return EXIT.ok;
}

async function runSyncOnce(args: ParsedArgs, io: CliIO): Promise<number> {
  if (args.flags.once !== true) {
    throw new AppError(
      'invalid_input',
      'usage: modernpos edge sync --once [--cloud-url URL --token TOKEN] [--edge-db FILE]',
    );
  }
  const config = resolveEdgeConfig(io.env, args.flags, { cloudRequired: false });
  if (!existsSync(config.dbFile)) {
    throw new AppError(
      'invalid_input',
      `no edge database at ${config.dbFile}; start the agent once (modernpos edge …) or pass --edge-db`,
    );
  }
  const store = await openEdgeStore(config.dbFile, {
    synchronous: config.synchronous,
    identity: config.identity,
  });
  try {
    const cloudUrl = config.identity.cloudUrl ?? store.meta.get('cloud_url');
    const token = config.token ?? readDeviceToken(config.dbFile);
    if (cloudUrl === undefined || token === undefined) {
      throw new AppError(
        'invalid_input',
        'this edge has no cloud URL or token yet: pass --cloud-url and --token',
      );
    }
    const started = Date.now();
    const summary = await (async () => {
      try {
        const conn = await connect(cloudUrl, token);
        try {
          return await syncOn(conn, store, {
            onProgress: (done, pending) => io.progress?.(`pushed ${done}, ${pending} to go`),
          });
        } finally {
          conn.close();
        }
      } catch (err) {
        if (err instanceof ConnectionLost || err instanceof SyncRefused) {
          store.meta.set('last_sync_error', `${new Date().toISOString()} ${err.message}`);
        }
        // Closed for a refused token (4001) without a reply to the request in flight: refused all the same.
        if (err instanceof ConnectionLost && err.closeCode === closeCodes.unauthorized) {
          throw new AppError('unauthorized', `the cloud refused this device: ${err.message}`);
        }
        if (err instanceof ConnectionLost) throw new AppError('operation_failed', err.message);
        if (err instanceof SyncRefused) {
          const tokenRefused = ['unauthorized', 'device_in_use', 'seq_conflict'].includes(err.code);
          throw new AppError(tokenRefused ? 'unauthorized' : 'operation_failed', err.message);
        }
        throw err;
      }
    })();
    if (io.progress) io.progress('');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (args.flags.json) io.out(JSON.stringify({ ...summary, seconds: Number(seconds) }));
    else {
      io.out(
        `Synced with ${cloudUrl}: pushed ${summary.pushed}, duplicates ${summary.duplicates}, rejected ${summary.rejected}, held ${summary.held}, pulled ${summary.pulled} in ${seconds} s`,
      );
    }
    return EXIT.ok;
  } finally {
    store.close();
  }
}

/** Opens an existing edge database for a one-off command (the agent may be running on it: WAL). */
async function openExistingStore(args: ParsedArgs, io: CliIO): Promise<EdgeStore> {
  const config = resolveEdgeConfig(io.env, args.flags, { cloudRequired: false });
  if (!existsSync(config.dbFile)) {
    throw new AppError(
      'invalid_input',
      `no edge database at ${config.dbFile}; start the agent once (modernpos edge …) or pass --edge-db`,
    );
  }
  return openEdgeStore(config.dbFile, { synchronous: config.synchronous, identity: config.identity });
}

async function runJournalVerify(args: ParsedArgs, io: CliIO): Promise<number> {
  const [, , action, terminal, ...rest] = args.positionals;
  if (action !== 'verify' || rest.length > 0) {
    throw new AppError(
      'invalid_input',
      'usage: modernpos edge journal verify [TERMINAL] [--edge-db FILE] [--json]',
    );
  }
  const store = await openExistingStore(args, io);
  try {
    const verdict = store.verifyJournal(terminal);
    if (args.flags.json) io.out(JSON.stringify(verdict));
    else {
      for (const c of verdict.chains) {
        const pre = c.preJournal > 0 ? `, ${c.preJournal} documents before the journal` : '';
        const broken = c.firstBreak
          ? `BROKEN at seq ${c.firstBreak.seq}: ${c.firstBreak.reason}${c.firstBreak.documentId ? ` (document ${c.firstBreak.documentId})` : ''}`
          : 'intact';
        io.out(`terminal ${c.terminal}: ${broken}; ${c.links} links, head ${c.headSeq}${pre}`);
      }
      io.out(verdict.intact ? 'journal intact' : 'journal BROKEN');
    }
    return verdict.intact ? EXIT.ok : EXIT.failure;
  } finally {
    store.close();
  }
}

export async function runEdgeCommand(args: ParsedArgs, io: CliIO): Promise<number | undefined> {
  const [command, sub] = args.positionals;
  if (command !== 'edge') return undefined;
  if (sub === undefined) return runAgent(args, io);
  if (sub === 'sync') return runSyncOnce(args, io);
  if (sub === 'journal') return runJournalVerify(args, io);
  throw new AppError('invalid_input', `unknown edge command ${sub}; see modernpos --help`);
}
