// The extra PostgreSQL clusters of the multi-cluster suites (.ci/extra-clusters makes them: mp_b on
// 5433 and mp_c on 5434). Unset: those suites are skipped locally with the reason printed; CI=true
// makes that an error, as for MODERNPOS_TEST_PG_URL.
import pg from 'pg';
import { quoteIdent } from '../../src/db/sql.ts';
import { PG_URL } from './engines.ts';

export const PG_URL_B = process.env.MODERNPOS_TEST_PG_URL_B;
export const PG_URL_C = process.env.MODERNPOS_TEST_PG_URL_C;

const missing = [
  ['MODERNPOS_TEST_PG_URL', PG_URL],
  ['MODERNPOS_TEST_PG_URL_B', PG_URL_B],
  ['MODERNPOS_TEST_PG_URL_C', PG_URL_C],
]
  .filter(([, url]) => !url)
  .map(([name]) => name);

if (missing.length > 0 && process.env.CI) {
  throw new Error(
    `CI=true but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set: the cluster suites must run in CI (.ci/extra-clusters makes the clusters)`,
  );
}

/** Why the multi-cluster suites are skipped, or undefined when they run. */
export const NO_CLUSTERS =
  missing.length > 0 ? `needs ${missing.join(', ')} (see docs/testing.md: .ci/extra-clusters)` : undefined;
if (NO_CLUSTERS) console.warn(`multi-cluster suites skipped: ${NO_CLUSTERS}`);

/** Runs `fn` on one admin connection to `url`. */
export async function onCluster<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function databaseExistsOn(url: string, name: string): Promise<boolean> {
  return onCluster(
    url,
    async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
  );
}

export async function roleExistsOn(url: string, name: string): Promise<boolean> {
  return onCluster(
    url,
    async (c) => (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1,
  );
}

/** Drops what a suite made on an extra cluster: the tenant databases and roles of `orgIds`, and the template and its role. */
export async function dropClusterLeftovers(
  url: string,
  templateDatabase: string,
  orgIds: readonly string[],
): Promise<void> {
  await onCluster(url, async (c) => {
    const names = [...orgIds.map((id) => `modernpos_org_${id}`), templateDatabase];
    for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    for (const name of names) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`);
  });
}

/**
 * `cluster-outage.test.ts` stops mp_c. Suites that need mp_c up hold a shared advisory lock on the
 * main cluster for each test (`holdMpCUp`); the outage takes it exclusively around its stop
 * (`whileMpCStoppable`), so it waits for them and they wait for mp_c to be back.
 */
const MP_C_UP_LOCK = 0x4d50_4355;

export async function holdMpCUp(): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query('SELECT pg_advisory_lock_shared($1)', [MP_C_UP_LOCK]);
  return async () => {
    await client.end().catch(() => {});
  };
}

export async function whileMpCStoppable<T>(fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MP_C_UP_LOCK]);
    return await fn();
  } finally {
    await client.end().catch(() => {});
  }
}
