// Cloud configuration (SPEC §4) from environment variables and CLI flags (a flag wins). Pure: the
// caller passes the environment in. Embedded defaults generate their secrets into the data dir.
import { resolve } from 'node:path';
import { AppError } from '../src/errors.ts';
import { intSetting as intSettingOf, readSettingTable } from '../src/settings.ts';
import type { EngineConfig } from './platform.ts';
import {
  adminTokenFile,
  loadOrCreateSecret,
  masterKeyFile,
  previousMasterKeyFile,
  readSecretFile,
} from './secrets/bootstrap.ts';
import { createKeyring, generateMasterKey, type Keyring, parseMasterKey } from './secrets/keyring.ts';
import { randomSecret } from './secrets/passwords.ts';
import { LAST_SEEN_GATHER_MS } from './sync/endpoint.ts';
import { MAX_HELLO_BATCH } from './sync/hello-batches.ts';
import { DEFAULT_MAX_INFLIGHT_BYTES } from './sync/intake.ts';
import { DEFAULT_READ_SLOTS } from './sync/read-slots.ts';

const MIB = 1024 * 1024;

/** Each setting: its environment variable and its CLI flag. */
export const settings = {
  pgUrl: { env: 'MODERNPOS_PG_URL', flag: 'pg-url' },
  dataDir: { env: 'MODERNPOS_DATA_DIR', flag: 'data-dir' },
  masterKey: { env: 'MODERNPOS_MASTER_KEY', flag: 'master-key' },
  previousMasterKeys: { env: 'MODERNPOS_PREVIOUS_MASTER_KEYS', flag: 'previous-master-keys' },
  adminToken: { env: 'MODERNPOS_ADMIN_TOKEN', flag: 'admin-token' },
  port: { env: 'PORT', flag: 'port' },
  backupDir: { env: 'MODERNPOS_BACKUP_DIR', flag: 'backup-dir' },
  maxOpenDatabases: { env: 'MODERNPOS_MAX_OPEN_DATABASES', flag: 'max-open-databases' },
  maxTenantPools: { env: 'MODERNPOS_MAX_TENANT_POOLS', flag: 'max-tenant-pools' },
  tenantPoolSize: { env: 'MODERNPOS_TENANT_POOL_SIZE', flag: 'tenant-pool-size' },
  migrationIntervalSeconds: { env: 'MODERNPOS_MIGRATION_INTERVAL_SECONDS', flag: 'migration-interval' },
  migrationConcurrency: { env: 'MODERNPOS_MIGRATION_CONCURRENCY', flag: 'migration-concurrency' },
  controlDatabase: { env: 'MODERNPOS_CONTROL_DB', flag: 'control-db' },
  templateDatabase: { env: 'MODERNPOS_TEMPLATE_DB', flag: 'template-db' },
  moveGraceHours: { env: 'MODERNPOS_MOVE_GRACE_HOURS', flag: 'move-grace-hours' },
  clusterLoadTtlSeconds: { env: 'MODERNPOS_CLUSTER_LOAD_TTL_SECONDS', flag: 'cluster-load-ttl' },
  syncHelloBatch: { env: 'MODERNPOS_SYNC_HELLO_BATCH', flag: 'sync-hello-batch' },
  syncLastSeenGatherSeconds: {
    env: 'MODERNPOS_SYNC_LAST_SEEN_GATHER_SECONDS',
    flag: 'sync-last-seen-gather',
  },
  syncMaxInflightMib: { env: 'MODERNPOS_SYNC_MAX_INFLIGHT_MIB', flag: 'sync-max-inflight' },
  syncReadSlots: { env: 'MODERNPOS_SYNC_READ_SLOTS', flag: 'sync-read-slots' },
} as const;

export type SettingName = keyof typeof settings;
export type RawSettings = Partial<Record<SettingName, string>>;

/** Collects raw settings: flags first, then the environment. */
export function readSettings(
  env: Record<string, string | undefined>,
  flags: Record<string, unknown>,
): RawSettings {
  return readSettingTable(settings, env, flags);
}

export interface CloudConfig {
  engine: EngineConfig;
  dataDir: string;
  /** Control-plane database name (default modernpos_control). Tenant databases are not namespaced, so deployments sharing a cluster must not share org ids. */
  controlDatabase: string;
  /** Template database (and role) new tenants are copied from (default modernpos_template). */
  templateDatabase: string;
  backupDir: string;
  port: number;
  resolver: { maxPools: number; poolSize: number };
  /** Most hellos of one tenant answered together (0: each alone), how long idle pings' writes are gathered (0: none). */
  sync: {
    maxHelloBatch: number;
    lastSeenGatherMs: number;
    maxInflightBytes: number;
    maxReadingFrames: number;
  };
  migration: { intervalMs: number; concurrency: number };
  /** How long a moved tenant's source database is kept before the background job drops it. */
  moveGraceMs: number;
  /** How long placement uses a cluster's load before reading it again (0: read for every new tenant). */
  clusterLoadTtlMs: number;
}

const intSetting = (raw: RawSettings, name: SettingName, fallback: number, min: number, max: number) =>
  intSettingOf(settings, raw, name, fallback, min, max);

export function resolveCloudConfig(raw: RawSettings): CloudConfig {
  const dataDir = resolve(raw.dataDir ?? './data');
  let engine: EngineConfig;
  if (raw.pgUrl) {
    let url: URL;
    try {
      url = new URL(raw.pgUrl);
    } catch {
      throw new AppError(
        'invalid_input',
        'MODERNPOS_PG_URL is not a URL (postgres://user@host:5432/postgres)',
      );
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new AppError('invalid_input', 'MODERNPOS_PG_URL must start with postgres://');
    }
    engine = { kind: 'postgres', adminUrl: raw.pgUrl };
  } else {
    engine = { kind: 'embedded', dataDir, maxOpenInstances: intSetting(raw, 'maxOpenDatabases', 4, 1, 64) };
  }
  for (const name of ['controlDatabase', 'templateDatabase'] as const) {
    const value = raw[name];
    if (value !== undefined && !/^[a-z][a-z0-9_]{0,62}$/.test(value)) {
      throw new AppError('invalid_input', `${settings[name].env} must be a lowercase identifier`);
    }
  }
  return {
    engine,
    dataDir,
    controlDatabase: raw.controlDatabase ?? 'modernpos_control',
    templateDatabase: raw.templateDatabase ?? 'modernpos_template',
    backupDir: resolve(raw.backupDir ?? `${dataDir}/backups`),
    port: intSetting(raw, 'port', 8080, 0, 65535),
    resolver: {
      maxPools: intSetting(raw, 'maxTenantPools', 50, 1, 10_000),
      poolSize: intSetting(raw, 'tenantPoolSize', 2, 1, 100),
    },
    sync: {
      maxHelloBatch: intSetting(raw, 'syncHelloBatch', MAX_HELLO_BATCH, 0, 10_000),
      lastSeenGatherMs:
        intSetting(raw, 'syncLastSeenGatherSeconds', LAST_SEEN_GATHER_MS / 1000, 0, 60) * 1000,
      maxInflightBytes:
        intSetting(raw, 'syncMaxInflightMib', DEFAULT_MAX_INFLIGHT_BYTES / MIB, 1, 4096) * MIB,
      maxReadingFrames: intSetting(raw, 'syncReadSlots', DEFAULT_READ_SLOTS, 1, 10_000),
    },
    migration: {
      intervalMs: intSetting(raw, 'migrationIntervalSeconds', 300, 0, 86_400) * 1000,
      concurrency: intSetting(raw, 'migrationConcurrency', 4, 1, 64),
    },
    moveGraceMs: intSetting(raw, 'moveGraceHours', 24, 0, 8_760) * 3_600_000,
    clusterLoadTtlMs: intSetting(raw, 'clusterLoadTtlSeconds', 30, 0, 3_600) * 1000,
  };
}

/**
 * The master keyring. Postgres: MODERNPOS_MASTER_KEY is required. Embedded: generated into
 * `<dataDir>/master.key` on first use. Previous keys (comma-separated, or the embedded
 * `master.key.previous` left by an interrupted rotation) still open old ciphertexts.
 */
export function resolveKeyring(raw: RawSettings, config: CloudConfig): Keyring {
  const previous = (raw.previousMasterKeys ?? '')
    .split(',')
    .filter((k) => k.trim() !== '')
    .map((k) => parseMasterKey(k, 'MODERNPOS_PREVIOUS_MASTER_KEYS'));
  if (raw.masterKey) return createKeyring(parseMasterKey(raw.masterKey, 'MODERNPOS_MASTER_KEY'), previous);
  if (config.engine.kind === 'postgres') {
    throw new AppError(
      'invalid_input',
      'MODERNPOS_MASTER_KEY is required with MODERNPOS_PG_URL (a base64 32-byte key: openssl rand -base64 32)',
    );
  }
  const current = loadOrCreateSecret(masterKeyFile(config.dataDir), generateMasterKey).value;
  const interrupted = readSecretFile(previousMasterKeyFile(config.dataDir));
  if (interrupted) previous.push(parseMasterKey(interrupted, previousMasterKeyFile(config.dataDir)));
  return createKeyring(parseMasterKey(current, masterKeyFile(config.dataDir)), previous);
}

/** The operator token. Postgres: required (at least 24 characters). Embedded: generated once into `<dataDir>/admin.token`. */
export function resolveAdminToken(
  raw: RawSettings,
  config: CloudConfig,
): { token: string; generated: boolean } {
  if (raw.adminToken) {
    if (raw.adminToken.length < 24) {
      throw new AppError(
        'invalid_input',
        'MODERNPOS_ADMIN_TOKEN must be at least 24 characters of random data',
      );
    }
    return { token: raw.adminToken, generated: false };
  }
  if (config.engine.kind === 'postgres') {
    throw new AppError('invalid_input', 'MODERNPOS_ADMIN_TOKEN is required with MODERNPOS_PG_URL');
  }
  const { value, created } = loadOrCreateSecret(
    adminTokenFile(config.dataDir),
    () => `mpa_${randomSecret(24)}`,
  );
  return { token: value, generated: created };
}
