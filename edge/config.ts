// Edge agent configuration (SPEC §4–§5) from the environment and CLI flags (a flag wins). Pure: the
// caller passes the environment in. Checked before the store opens, so bad input creates nothing.
import { resolve } from 'node:path';
import { isTimeZone } from '../src/domain/business-date.ts';
import { parseDeviceToken } from '../src/domain/device-token.ts';
import { CODE_PATTERN } from '../src/domain/receipt.ts';
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
} as const;

export interface EdgeConfig {
  port: number;
  /** 127.0.0.1 by default (the API has no authentication); a branch server opts in with 0.0.0.0. */
  host: string;
  dbFile: string;
  synchronous: Synchronous;
  identity: EdgeIdentity;
}

export function resolveEdgeConfig(
  env: Record<string, string | undefined>,
  flags: Record<string, unknown>,
): EdgeConfig {
  const raw: RawValues<typeof edgeSettings> = readSettingTable(edgeSettings, env, flags);
  if (raw.cloudUrl === undefined || raw.token === undefined) {
    throw new AppError(
      'invalid_input',
      'usage: modernpos edge --cloud-url URL --token TOKEN [--branch CODE] (or MODERNPOS_CLOUD_URL and MODERNPOS_DEVICE_TOKEN)',
    );
  }
  let url: URL;
  try {
    url = new URL(raw.cloudUrl);
  } catch {
    throw new AppError(
      'invalid_input',
      `--cloud-url ${raw.cloudUrl} is not a URL (https://cloud.example.com)`,
    );
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new AppError('invalid_input', '--cloud-url must start with http://, https://, ws:// or wss://');
  }
  const token = parseDeviceToken(raw.token);
  if (!token) {
    throw new AppError(
      'invalid_input',
      'the device token is malformed; use the mpd_… token printed by `modernpos device register`',
    );
  }
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
  return {
    port: intSetting(edgeSettings, raw, 'port', 8081, 0, 65535),
    host: raw.host ?? '127.0.0.1',
    dbFile: resolve(raw.db ?? './edge-data/edge.db'),
    synchronous,
    identity: {
      orgId: token.orgId,
      branch: raw.branch,
      currency: raw.currency,
      timeZone: raw.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      cloudUrl: url.toString(),
    },
  };
}
