// Runs the cloud service: platform, resolver, background migrations, metrics, the HTTP app on
// @hono/node-server and the sync WebSocket endpoint on the same server. Returns a handle whose
// stop() shuts everything down in order.

import type { Server } from 'node:http';
import { type ServerType, serve } from '@hono/node-server';
import { type Logger, silentLogger } from '../src/log.ts';
import { latestVersion } from '../src/migrate/files.ts';
import { createCloudApp } from './http/app.ts';
import { createCloudMetrics } from './metrics/cloud-metrics.ts';
import type { Platform } from './platform.ts';
import { createTenantResolver, type TenantResolver } from './resolver/tenant-resolver.ts';
import {
  attachSyncEndpoint,
  defaultSyncLimits,
  MIN_EDGE_SCHEMA_VERSION,
  type SyncEndpoint,
} from './sync/endpoint.ts';
import type { SyncLimits } from './sync/session-deps.ts';
import { type SyncSignals, startSyncSignals } from './sync/sync-signals.ts';
import { createMigrationJob, type MigrationJob } from './tenants/migration-job.ts';
import { listenTenantRouting } from './tenants/move/signals.ts';
import { startSourceCleanup } from './tenants/move/source-cleanup.ts';

export interface CloudServerOptions {
  platform: Platform;
  adminToken: string;
  port: number;
  hostname?: string;
  resolver: { maxPools: number; poolSize: number };
  /** `start: false` leaves the job idle until `runOnce()` (tests that hold a tenant behind). */
  migration: { intervalMs: number; concurrency: number; start?: boolean };
  sync?: Partial<SyncLimits>;
  /** How long a moved tenant's source database is kept (default 24 h); checked every `migration.intervalMs` (at least each minute). */
  moveGraceMs?: number;
  /** Structured logs (requests, sync sessions, background work); default: none. */
  logger?: Logger;
}

export interface CloudServer {
  url: string;
  port: number;
  resolver: TenantResolver;
  migrationJob: MigrationJob;
  sync: SyncEndpoint;
  /** Signals to every cloud process: catalog changes (devices pull) and revocations (connections end). */
  signals: Pick<SyncSignals, 'catalogChanged' | 'deviceRevoked' | 'quarantineResolved'>;
  stop(): Promise<void>;
}

export async function startCloudServer(options: CloudServerOptions): Promise<CloudServer> {
  const { platform } = options;
  const logger = options.logger ?? silentLogger();
  const resolver = createTenantResolver({
    control: platform.control,
    engine: platform.engine,
    keyring: platform.tenants.keyring,
    maxPools: options.resolver.maxPools,
    poolSize: options.resolver.poolSize,
    // A tenant behind this build is refused `tenant_migrating` (never served by code that needs the
    // new schema), and the background job takes it first.
    latestSchemaVersion: latestVersion(platform.tenants.tenantMigrations),
    onOutdated: (orgId) => migrationJob.request(orgId),
    // Late-bound: the metrics need the resolver for their pool gauges; nothing queries before they exist.
    observer: {
      query: (orgId, seconds, failed) => metrics.tenantQueries.query(orgId, seconds, failed),
      leaseWait: (seconds) => metrics.tenantQueries.leaseWait(seconds),
    },
  });
  const tenants = { ...platform.tenants, onTenantChanged: (orgId: string) => resolver.invalidate(orgId) };
  const { start: startMigrations = true, ...migration } = options.migration;
  const migrationJob = createMigrationJob(
    { ...tenants, actor: 'migration-job' },
    {
      ...migration,
      onError: (err) => logger.error({ err }, 'background migration pass failed'),
      onRun: ({ migrated, failed }) => {
        if (migrated > 0 || failed.length > 0) {
          logger.info({ migrated, failed: failed.length }, 'background migrations');
        }
      },
    },
  );
  const metrics = createCloudMetrics({ tenants, resolver, migrationJob });
  // The signals listen once the sync endpoint exists, after the app; revocations reach them late-bound.
  let signalsRef: SyncSignals | undefined;
  const app = createCloudApp({
    tenants,
    adminToken: options.adminToken,
    metrics,
    migrationJob,
    resolver,
    signals: {
      deviceRevoked: async (orgId, deviceId) => signalsRef?.deviceRevoked(orgId, deviceId),
      catalogChanged: async (orgId, cursor) => signalsRef?.catalogChanged(orgId, cursor),
      quarantineResolved: async (orgId, deviceId) => signalsRef?.quarantineResolved(orgId, deviceId),
    },
    logger,
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname ?? '0.0.0.0' }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  const sync = attachSyncEndpoint(server as Server, {
    resolver,
    limits: { ...defaultSyncLimits, ...options.sync },
    schemaVersions: { min: MIN_EDGE_SCHEMA_VERSION, max: latestVersion(platform.tenants.tenantMigrations) },
    logger,
    observer: metrics.sync,
  });
  const signals = await startSyncSignals(platform.notifications, sync, logger).catch(async (err) => {
    await sync.close();
    server.close();
    throw err;
  });
  signalsRef = signals;
  // A move run elsewhere (the CLI) freezes, thaws or switches a tenant: this process's resolver hears of it.
  const stopRouting = await listenTenantRouting(platform.notifications, (orgId) =>
    resolver.invalidate(orgId),
  );
  const sourceCleanup = startSourceCleanup(tenants, {
    graceMs: options.moveGraceMs ?? 24 * 3_600_000,
    intervalMs: Math.min(options.migration.intervalMs || 60_000, 60_000),
    onError: (err) => logger.error({ err }, "dropping moved tenants' source databases failed"),
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  if (startMigrations) migrationJob.start();
  return {
    url: `http://localhost:${port}`,
    port,
    resolver,
    migrationJob,
    sync,
    signals,
    async stop() {
      await sourceCleanup.stop();
      await stopRouting();
      await signals.stop();
      await sync.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await migrationJob.stop();
      await resolver.close();
      await platform.close();
    },
  };
}
