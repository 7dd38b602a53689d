// The operator commands of `modernpos` (SPEC §5): thin wrappers that parse flags, call the same
// service functions as the admin API, and print text or --json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import { AppError } from '../../src/errors.ts';
import { lineLogger } from '../../src/log.ts';
import { type CloudConfig, resolveAdminToken } from '../config.ts';
import type { Platform } from '../platform.ts';
import { type CloudServer, startCloudServer } from '../server.ts';
import { rotateTenantCredentials } from '../tenants/credentials.ts';
import { exportTenant } from '../tenants/export.ts';
import { migrateAllTenants, migrateTenant } from '../tenants/migrate.ts';
import { offboardTenant } from '../tenants/offboard.ts';
import { onboardTenant, validateOnboardInput } from '../tenants/onboard.ts';
import { listTenants, showTenant } from '../tenants/queries.ts';
import { requireOrgId } from '../tenants/validate.ts';
import { backupCommands } from './backup.ts';
import { runClusterCommand } from './clusters.ts';
import { runDeviceCommand } from './devices.ts';
import { tenantDetails, tenantRows } from './format.ts';
import { runImportCommand } from './import.ts';
import { runJournalCommand } from './journal.ts';
import { rotateKeys } from './keys.ts';
import { runMoveCommand } from './move.ts';
import { cliSettings, openCliPlatform } from './open.ts';

type Command = (args: ParsedArgs, io: CliIO) => Promise<number>;

const needOrg = (args: ParsedArgs, what: string): string => {
  const org = args.positionals[2];
  if (org === undefined) throw new AppError('invalid_input', `usage: modernpos tenant ${what} ORG`);
  // Checked before the platform opens, so bad input never creates anything (not even a data dir).
  return requireOrgId(org);
};

const json = (io: CliIO, value: unknown) => io.out(JSON.stringify(value, null, 2));

/** Runs `fn` on an open platform and always closes it. */
async function withPlatform<T>(
  args: ParsedArgs,
  io: CliIO,
  fn: (p: Awaited<ReturnType<typeof openCliPlatform>>) => Promise<T>,
): Promise<T> {
  const opened = await openCliPlatform(args.flags, io, 'cli');
  try {
    return await fn(opened);
  } finally {
    await opened.platform.close();
  }
}

const tenantCommands: Record<string, Command> = {
  async create(args, io) {
    const orgId = needOrg(args, 'create');
    if (args.flags.name === undefined)
      throw new AppError('invalid_input', 'usage: modernpos tenant create ORG --name NAME');
    const input = {
      orgId,
      name: args.flags.name,
      ownerEmail: args.flags['owner-email'],
      timezone: args.flags.timezone,
      currency: args.flags.currency,
      cluster: args.flags.cluster,
      region: args.flags.region,
    };
    validateOnboardInput(input);
    const result = await withPlatform(args, io, ({ platform }) => onboardTenant(platform.tenants, input));

    if (args.flags.json) {
      json(io, {
        orgId: result.orgId,
        database: result.database,
        ownerEmail: result.ownerEmail,
        ownerPassword: result.ownerPassword,
      });
    } else {
      io.out(
        `${result.resumed ? 'Finished onboarding' : 'Created'} tenant ${result.orgId} (database ${result.database} on cluster ${result.cluster}).`,
      );
      if (result.resumed)
        io.out('(An interrupted onboarding was resumed with the settings of its first run.)');
      io.out(`Owner login: ${result.ownerEmail}`);
      io.out(`Owner password (shown once, store it now): ${result.ownerPassword}`);
    }
    return EXIT.ok;
  },

  async list(args, io) {
    const tenants = await withPlatform(args, io, ({ platform }) => listTenants(platform.tenants));
    if (args.flags.json) json(io, tenants);
    else if (tenants.length === 0)
      io.out('No tenants yet. Create one with: modernpos tenant create ORG --name NAME');
    else for (const line of tenantRows(tenants)) io.out(line);
    return EXIT.ok;
  },

  async show(args, io) {
    const orgId = needOrg(args, 'show');
    const tenant = await withPlatform(args, io, ({ platform }) => showTenant(platform.tenants, orgId));
    if (args.flags.json) json(io, tenant);
    else for (const line of tenantDetails(tenant)) io.out(line);
    return EXIT.ok;
  },

  async migrate(args, io) {
    const orgId = args.positionals[2];
    if (Boolean(args.flags.all) === (orgId !== undefined)) {
      throw new AppError('invalid_input', 'usage: modernpos tenant migrate ORG | --all [--concurrency N]');
    }
    if (orgId !== undefined) {
      const r = await withPlatform(args, io, ({ platform }) => migrateTenant(platform.tenants, orgId));
      if (args.flags.json) json(io, r);
      else
        io.out(
          r.applied.length
            ? `${r.orgId}: schema ${r.from} → ${r.to}`
            : `${r.orgId}: already at schema ${r.to}`,
        );
      return EXIT.ok;
    }
    const concurrency = args.flags.concurrency === undefined ? 4 : Number(args.flags.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new AppError('invalid_input', '--concurrency must be a whole number from 1 to 64');
    }
    const summary = await withPlatform(args, io, ({ platform }) =>
      migrateAllTenants(platform.tenants, {
        concurrency,
        onProgress: (done, total, last) => {
          io.progress?.(`migrating tenants: ${done}/${total}${last.ok ? '' : ` (${last.orgId} failed)`}`);
        },
      }),
    );
    if (io.progress && summary.total > 0) io.progress('');
    if (args.flags.json) json(io, summary);
    else {
      for (const f of summary.failed) io.err(`${f.orgId}: failed: ${f.error}`);
      io.out(
        `${summary.total} tenant(s): ${summary.migrated} migrated, ${summary.upToDate} already current, ${summary.failed.length} failed (latest schema ${summary.latest})`,
      );
    }
    return summary.failed.length > 0 ? EXIT.failure : EXIT.ok;
  },

  async export(args, io) {
    const orgId = needOrg(args, 'export');
    const out = args.flags.out;
    if (!out) throw new AppError('invalid_input', 'usage: modernpos tenant export ORG --out FILE');
    const manifest = await withPlatform(args, io, ({ platform }) =>
      exportTenant(platform.tenants, orgId, out),
    );
    const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
    if (args.flags.json) json(io, { ...manifest, file: out });
    else
      io.out(
        `Exported ${orgId}: ${manifest.tables.length} tables, ${rows} rows, schema ${manifest.schemaVersion} → ${out}`,
      );
    return EXIT.ok;
  },

  async offboard(args, io) {
    const orgId = needOrg(args, 'offboard');
    const result = await withPlatform(args, io, ({ platform }) =>
      offboardTenant(platform.tenants, {
        orgId,
        confirm: args.flags.yes === true,
        exportTo: args.flags.export,
      }),
    );
    if (args.flags.json) json(io, result);
    else if (result.alreadyOffboarded) io.out(`${orgId} is already offboarded.`);
    else {
      if (result.exportFile) io.out(`Exported to ${result.exportFile}`);
      if (result.exportSkipped) io.err(`modernpos: export not written: ${result.exportSkipped}`);
      if (result.backupFile) io.out(`Backup written to ${result.backupFile}`);
      io.out(`Offboarded ${orgId}: database dropped, credentials deleted; the organization record is kept.`);
    }
    return EXIT.ok;
  },

  move: runMoveCommand,
  import: runImportCommand,

  async 'rotate-credentials'(args, io) {
    const orgId = needOrg(args, 'rotate-credentials');
    const r = await withPlatform(args, io, ({ platform }) =>
      rotateTenantCredentials(platform.tenants, orgId),
    );
    if (args.flags.json) json(io, r);
    else io.out(`${orgId}: new database password set; connection string re-encrypted under key ${r.keyId}.`);
    return EXIT.ok;
  },
  ...backupCommands,
};

/** A cloud service started from the command line, with what `dev` needs to add its demo. */
export interface CliCloud {
  server: CloudServer;
  platform: Platform;
  config: CloudConfig;
  stop(): Promise<void>;
}

/** Opens the platform and starts the cloud service from the environment and flags; prints where it is. */
export async function startCliCloud(args: ParsedArgs, io: CliIO, banner: 'cloud' | 'dev'): Promise<CliCloud> {
  // Checked before anything opens: a bad log level is bad input, and leaves nothing open behind it.
  const logger = lineLogger('cloud', io.env.MODERNPOS_LOG_LEVEL, (line) => io.err(line));
  const { config: planned } = cliSettings(args.flags, io);
  if (planned.engine.kind === 'embedded' && !existsSync(join(planned.dataDir, 'modernpos_control'))) {
    io.err(`First start: initialising the embedded databases in ${planned.dataDir} (takes a few seconds)…`);
  }
  const { raw, config, platform } = await openCliPlatform(args.flags, io, 'cloud');
  let token: { token: string; generated: boolean };
  try {
    token = resolveAdminToken(raw, config);
  } catch (err) {
    await platform.close();
    throw err;
  }
  const server = await startCloudServer({
    platform,
    adminToken: token.token,
    port: config.port,
    resolver: config.resolver,
    migration: config.migration,
    moveGraceMs: config.moveGraceMs,
    sync: config.sync,
    logger,
  }).catch(async (err) => {
    await platform.close();
    throw err;
  });
  io.out(`ModernPOS cloud (${banner}) listening on ${server.url} — engine ${config.engine.kind}`);
  if (config.engine.kind === 'embedded') io.out(`Data directory: ${config.dataDir}`);
  if (token.generated) {
    io.out(`Admin token (generated, shown once; also in ${config.dataDir}/admin.token): ${token.token}`);
  } else if (config.engine.kind === 'embedded' && !raw.adminToken) {
    io.out(`Admin token: in ${config.dataDir}/admin.token`);
  }
  return { server, platform, config, stop: () => server.stop() };
}

/** `cloud`: serve until SIGINT/SIGTERM. */
async function serveCloud(args: ParsedArgs, io: CliIO): Promise<number> {
  const cloud = await startCliCloud(args, io, 'cloud');
  io.out(`Try: curl ${cloud.server.url}/healthz`);
  const signal = await io.waitForStop();
  io.err(`received ${signal}; shutting down`);
  await cloud.stop();
  io.err('stopped');
  return EXIT.ok;
}

export async function runCloudCommand(args: ParsedArgs, io: CliIO): Promise<number | undefined> {
  const [command, sub] = args.positionals;
  if (command === 'tenant') {
    const run = sub === undefined ? undefined : tenantCommands[sub];
    if (!run)
      throw new AppError(
        'invalid_input',
        `usage: modernpos tenant ${Object.keys(tenantCommands).join('|')} …`,
      );
    return run(args, io);
  }
  if (command === 'keys') {
    if (sub !== 'rotate') throw new AppError('invalid_input', 'usage: modernpos keys rotate');
    return rotateKeys(args, io);
  }
  if (command === 'device') return runDeviceCommand(args, io);
  if (command === 'cluster') return runClusterCommand(args, io);
  if (command === 'journal') return runJournalCommand(args, io);
  if (command === 'cloud') return serveCloud(args, io);
  return undefined;
}
