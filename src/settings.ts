// Settings read from the environment and CLI flags (a flag wins), by a table of env name and flag per
// setting. Pure: the caller passes the environment in. Used by the cloud and the edge configs.
import { AppError } from './errors.ts';

export interface SettingSpec {
  env: string;
  flag: string;
}

export type RawValues<T> = Partial<Record<keyof T, string>>;

/** Collects the settings of `table`: flags first, then the environment; empty strings count as unset. */
export function readSettingTable<T extends Record<string, SettingSpec>>(
  table: T,
  env: Record<string, string | undefined>,
  flags: Record<string, unknown>,
): RawValues<T> {
  const raw: RawValues<T> = {};
  for (const name of Object.keys(table) as (keyof T & string)[]) {
    const { env: key, flag } = table[name]!;
    const value = flags[flag] ?? env[key];
    if (typeof value === 'string' && value !== '') raw[name] = value;
  }
  return raw;
}

/** A whole-number setting within [min, max], or `fallback` when unset; anything else is invalid input. */
export function intSetting<T extends Record<string, SettingSpec>>(
  table: T,
  raw: RawValues<T>,
  name: keyof T & string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = raw[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const { env, flag } = table[name]!;
    throw new AppError('invalid_input', `${env} (--${flag}) must be a whole number from ${min} to ${max}`);
  }
  return n;
}
