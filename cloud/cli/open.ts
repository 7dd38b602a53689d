// Opens the platform for a CLI command from the environment and flags.
import type { Flags } from '../../src/cli/args.ts';
import type { CliIO } from '../../src/cli/io.ts';
import type { SqlDatabase } from '../../src/db/sql.ts';
import {
  type CloudConfig,
  type RawSettings,
  readSettings,
  resolveCloudConfig,
  resolveKeyring,
} from '../config.ts';
import { openPlatform, type Platform, type PlatformConfig } from '../platform.ts';
import { createTenantResolver } from '../resolver/tenant-resolver.ts';

export interface OpenedPlatform {
  raw: RawSettings;
  config: CloudConfig;
  platform: Platform;
}

export function cliSettings(flags: Flags, io: CliIO): { raw: RawSettings; config: CloudConfig } {
  const raw = readSettings(io.env, flags);
  return { raw, config: resolveCloudConfig(raw) };
}

/**
 * Test-only hook: MODERNPOS_TEST_CRASH_AFTER=<step> makes the process kill itself with SIGKILL right
 * after that lifecycle step, so tests can prove a re-run finishes what a crash interrupted. It is
 * honoured only with NODE_ENV=test as well (docs/testing.md), so a stray variable on a production
 * host cannot kill an onboarding: there it is ignored with a warning.
 */
function crashHook(io: CliIO): PlatformConfig['afterStep'] {
  const step = io.env.MODERNPOS_TEST_CRASH_AFTER;
  if (!step) return undefined;
  if (io.env.NODE_ENV !== 'test') {
    io.err(
      'warning: MODERNPOS_TEST_CRASH_AFTER is ignored: it is a test hook, honoured only with NODE_ENV=test',
    );
    return undefined;
  }
  return (done) => {
    if (done === step) process.kill(process.pid, 'SIGKILL');
  };
}

export async function openCliPlatform(flags: Flags, io: CliIO, actor: string): Promise<OpenedPlatform> {
  const { raw, config } = cliSettings(flags, io);
  const afterStep = crashHook(io);
  const platform = await openPlatform({
    engine: config.engine,
    keyring: resolveKeyring(raw, config),
    backupDir: config.backupDir,
    actor,
    ...(afterStep ? { afterStep } : {}),
    controlDatabase: config.controlDatabase,
    templateDatabase: config.templateDatabase,
    clusterLoads: { ttlMs: config.clusterLoadTtlMs },
  });
  return { raw, config, platform };
}

/** Runs `fn` on tenant `orgId`'s database through a one-pool resolver, then closes it and the platform. */
export async function onTenant<T>(
  flags: Flags,
  io: CliIO,
  orgId: string,
  fn: (db: SqlDatabase) => Promise<T>,
): Promise<T> {
  const { platform } = await openCliPlatform(flags, io, 'cli');
  const resolver = createTenantResolver({
    control: platform.control,
    engine: platform.engine,
    keyring: platform.tenants.keyring,
    maxPools: 1,
    poolSize: 1,
  });
  try {
    return await resolver.withTenant(orgId, fn);
  } finally {
    await resolver.close();
    await platform.close();
  }
}
