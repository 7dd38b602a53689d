// Checks, before a cluster is added, that its admin URL reaches a PostgreSQL ≥ 15 server as a role
// that may create databases and roles. One short-lived connection; the URL never appears in errors.
import pg from 'pg';
import { driverErrorCode, isAuthenticationFailure } from '../../src/db/driver-errors.ts';
import { AppError } from '../../src/errors.ts';
import { whereOf } from './validate.ts';

export interface ProbedCluster {
  serverVersionNum: number;
  walLevel: string;
}

export async function probeClusterUrl(url: string, timeoutMs = 5_000): Promise<ProbedCluster> {
  const where = whereOf(url);
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    application_name: 'modernpos-admin',
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    const code = driverErrorCode(err) || 'connection failed';
    throw new AppError(
      'database_unavailable',
      isAuthenticationFailure(err)
        ? `PostgreSQL at ${where} refused the credentials (${code}); nothing was added`
        : `cannot reach PostgreSQL at ${where} (${code}); nothing was added`,
    );
  }
  try {
    const { rows } = await client.query<{ version: number; wal: string; ok: boolean }>(
      `SELECT current_setting('server_version_num')::int AS version, current_setting('wal_level') AS wal,
         (rolsuper OR (rolcreatedb AND rolcreaterole)) AS ok
       FROM pg_roles WHERE rolname = current_user`,
    );
    const row = rows[0];
    if (!row) throw new AppError('invalid_input', `the role of the URL for ${where} cannot read pg_roles`);
    if (row.version < 150000) {
      throw new AppError(
        'invalid_input',
        `PostgreSQL at ${where} is older than 15 (server_version_num ${row.version})`,
      );
    }
    if (!row.ok) {
      throw new AppError(
        'invalid_input',
        `the role of the URL for ${where} may not create databases and roles (needs CREATEDB and CREATEROLE)`,
      );
    }
    return { serverVersionNum: row.version, walLevel: row.wal };
  } finally {
    await client.end().catch(() => {});
  }
}
