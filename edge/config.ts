// Edge agent configuration (SPEC §4–§5) from the environment and CLI flags (a flag wins). Pure: the
// caller passes the environment in. Checked before the store opens, so bad input creates nothing.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MAX_AMOUNT_MINOR } from '../src/domain/bounds.ts';
import { isTimeZone } from '../src/domain/business-date.ts';
import { CODE_PATTERN } from '../src/domain/receipt.ts';
import { parseDeviceToken } from '../src/domain/tenant-token.ts';
import { AppError } from '../src/errors.ts';
import { intSetting, type RawValues, readSettingTable } from '../src/settings.ts';
import type { Synchronous } from './store/database.ts';
import type { EdgeIdentity } from './store/store.ts';

export const edgeSettings = {
  port: { env: 'MODERNPOS_EDGE_PORT', flag: 'edge-port' },
  host: { env: 'MODERNPOS_EDGE_HOST', flag: 'edge-host' },
  db: { env: 'MODERNPOS_EDGE_DB', flag: 'edge-db' },
  cloudUrl: { env: 'MODERNPOS_CLOUD_URL', flag: 'cloud-url' },
  token: { env: 'MODERNPOS_DEVICE_TOKEN', flag: 'token' },
  branch: { env: 'MODERNPOS_EDGE_BRANCH', flag: 'branch' },
  currency: { env: 'MODERNPOS_EDGE_CURRENCY', flag: 'currency' },
  timeZone: { env: 'MODERNPOS_EDGE_TIMEZONE', flag: 'timezone' },
  synchronous: { env: 'MODERNPOS_EDGE_SYNCHRONOUS', flag: 'synchronous' },
  retentionDays: { env: 'MODERNPOS_EDGE_OUTBOX_RETENTION_DAYS', flag: 'outbox-retention-days' },
  refundApprovalAbove: { env: 'MODERNPOS_EDGE_REFUND_APPROVAL_ABOVE', flag: 'refund-approval-above' },
} as const;

/** The boolean setting of --open-cashier-api (a flag without a value). */
export const OPEN_CASHIER_API_ENV = 'MODERNPOS_EDGE_OPEN_CASHIER_API';

/** Addresses only this machine reaches: --open-cashier-api listens on nothing else. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export interface EdgeConfig {
  port: number;
  /** 127.0.0.1 by default; a branch server opts in with 0.0.0.0 (writes need a cashier session). */
  host: string;
  /** --open-cashier-api: writes need no cashier session (integrations); loopback hosts only. */
  openCashierApi: boolean;
  /** Refunds above this total (minor units) need a manager's approval. */
  refundApprovalAboveMinor: number;
  dbFile: string;
  synchronous: Synchronous;
  /** How long acknowledged outbox entries are kept (they are the edge's own record of what went up). */
  retentionMs: number;
  /** The device token, when given (the agent stores it beside its database for `edge sync --once`). */
  token: string | undefined;
  identity: EdgeIdentity;
}

/** Where the agent keeps its device token: beside the database, readable by its owner only. */
export const deviceTokenFile = (dbFile: string) => `${dbFile}.token`;

export function storeDeviceToken(dbFile: string, token: string): void {
  writeFileSync(deviceTokenFile(dbFile), `${token}\n`, { mode: 0o600 });
  chmodSync(deviceTokenFile(dbFile), 0o600);
}

export function readDeviceToken(dbFile: string): string | undefined {
  try {
    return readFileSync(deviceTokenFile(dbFile), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function checkCloudUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('invalid_input', `--cloud-url ${value} is not a URL (https://cloud.example.com)`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new AppError('invalid_input', '--cloud-url must start with http://, https://, ws:// or wss://');
  }
  return url.toString();
}

function checkToken(value: string): { token: string; orgId: string } {
  const parsed = parseDeviceToken(value);
  if (!parsed) {
    throw new AppError(
      'invalid_input',
      'the device token is malformed; use the mpd_… token printed by `modernpos device register`',
    );
  }
  return { token: value, orgId: parsed.orgId };
}

function openCashierApiSetting(
  env: Record<string, string | undefined>,
  flags: Record<string, unknown>,
): boolean {
  if (flags['open-cashier-api'] === true) return true;
  const value = env[OPEN_CASHIER_API_ENV];
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new AppError('invalid_input', `${OPEN_CASHIER_API_ENV} is true or false`);
}

/**
 * The agent's settings. `cloudRequired`: the agent needs the cloud URL and token on the command line
 * (or environment); `edge sync --once` falls back to the ones the agent was started with.
 */
export function resolveEdgeConfig(
  env: Record<string, string | undefined>,
  flags: Record<string, unknown>,
  options: { cloudRequired: boolean } = { cloudRequired: true },
): EdgeConfig {
  const raw: RawValues<typeof edgeSettings> = readSettingTable(edgeSettings, env, flags);
  if (options.cloudRequired && (raw.cloudUrl === undefined || raw.token === undefined)) {
    throw new AppError(
      'invalid_input',
      'usage: modernpos edge --cloud-url URL --token TOKEN [--branch CODE] (or MODERNPOS_CLOUD_URL and MODERNPOS_DEVICE_TOKEN)',
    );
  }
  const cloudUrl = raw.cloudUrl === undefined ? undefined : checkCloudUrl(raw.cloudUrl);
  const token = raw.token === undefined ? undefined : checkToken(raw.token);
  if (raw.branch !== undefined && !CODE_PATTERN.test(raw.branch)) {
    throw new AppError('invalid_input', '--branch must be 1–16 capital letters, digits or underscores');
  }
  if (raw.currency !== undefined && !/^[A-Z]{3}$/.test(raw.currency)) {
    throw new AppError('invalid_input', '--currency must be an ISO 4217 code such as EUR');
  }
  if (raw.timeZone !== undefined && !isTimeZone(raw.timeZone)) {
    throw new AppError('invalid_input', `--timezone ${raw.timeZone} is not an IANA time zone`);
  }
  const synchronous = raw.synchronous ?? 'full';
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new AppError('invalid_input', 'MODERNPOS_EDGE_SYNCHRONOUS (--synchronous) is full or normal');
  }
  const host = raw.host ?? '127.0.0.1';
  const openCashierApi = openCashierApiSetting(env, flags);
  if (openCashierApi && !isLoopback(host)) {
    throw new AppError(
      'invalid_input',
      `--open-cashier-api takes sales without a cashier sign-in, so it listens only on a loopback address (127.0.0.1, ::1, localhost); --edge-host is ${host}`,
    );
  }
  return {
    port: intSetting(edgeSettings, raw, 'port', 8081, 0, 65535),
    host,
    openCashierApi,
    refundApprovalAboveMinor: intSetting(edgeSettings, raw, 'refundApprovalAbove', 5000, 0, MAX_AMOUNT_MINOR),
    dbFile: resolve(raw.db ?? './edge-data/edge.db'),
    synchronous,
    retentionMs: intSetting(edgeSettings, raw, 'retentionDays', 7, 0, 3650) * 24 * 3600 * 1000,
    token: token?.token,
    identity: {
      orgId: token?.orgId,
      branch: raw.branch,
      currency: raw.currency,
      timeZone: raw.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      cloudUrl,
    },
  };
}
