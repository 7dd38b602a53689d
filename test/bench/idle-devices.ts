// Benchmark: BENCH_IDLE_DEVICES (default 10,000) connected devices over BENCH_IDLE_TENANTS (default
// 100) tenants on one `modernpos cloud` child process: its RSS and CPU over an idle minute of
// heartbeats, a catalog change reaching every device of its tenant (p99), and a restart storm (the
// cloud killed and started again, every device reconnecting at once: time until all are welcomed,
// and the most tenant backends pg_stat_activity showed against the connection budget). Each beside a
// bare `ws` server in its own process with the same clients (idle-raw-server.ts). The devices are
// raw protocol clients (idle-fleet-clients.ts): a real edge store per device is too heavy for one
// machine. The process file-descriptor limits (this one, the cloud's, the raw server's) are raised
// here with prlimit, not in the product.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createProduct } from '../../cloud/catalog/products.ts';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { hashToken } from '../../cloud/secrets/passwords.ts';
import { defaultSyncLimits } from '../../cloud/sync/endpoint.ts';
import { startSyncSignals } from '../../cloud/sync/sync-signals.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { formatDeviceToken } from '../../src/domain/tenant-token.ts';
import { lineLogger } from '../../src/log.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { createTestPlatform } from '../helpers/engines.ts';
import { type CloudProcess, startCloudProcess } from './cloud-process.ts';
import {
  adminClient,
  checkInterrupted,
  fmt,
  log,
  now,
  orgId,
  percentile,
  type Row,
  rememberNames,
  row,
  sleep,
  startSampler,
  TENANT_DB_PREFIX,
} from './common.ts';
import { allClosed, closeAll, connectAll, type IdleClient, newClient } from './idle-fleet-clients.ts';
import { startRawServer } from './idle-raw-server.ts';

const DEVICES = Number(process.env.BENCH_IDLE_DEVICES || 10_000);
const TENANTS = Number(process.env.BENCH_IDLE_TENANTS || 100);
/** How long the idle measurement lasts (a minute: four heartbeats at the default 15 s). */
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS || 60);
/** From all welcomed to the idle window's start. */
const SETTLE_SECONDS = Number(process.env.BENCH_IDLE_SETTLE_SECONDS || 20);
/** Catalog changes timed (each in its own tenant, one after the other). */
const POKES = Number(process.env.BENCH_IDLE_POKES || 10);
/**
 * The cloud's connection budget: 40 pools of 2 connections (the default is 50 × 2; this machine's
 * Postgres takes 100 connections in all, and the control plane and other benchmarks need some).
 */
const POOLS = Number(process.env.BENCH_IDLE_POOLS || 40);
const POOL_SIZE = Number(process.env.BENCH_IDLE_POOL_SIZE || 2);
const HEARTBEAT_MS = defaultSyncLimits.heartbeatMs;
/** A restart storm still going after this long is stopped and reported as over it. */
const STORM_LIMIT_S = Number(process.env.BENCH_IDLE_STORM_LIMIT_SECONDS || 180);
/** BENCH_IDLE_BEFORE=0 leaves out the restart storm with each hello alone (minutes, and no target met). */
const BEFORE = process.env.BENCH_IDLE_BEFORE !== '0';
const FD_LIMIT = 65_536;
const MIB = 1024 * 1024;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * Raises a process's open-file limit to what it needs (the benchmark's business; the product leaves its
 * own alone): to 65,536, or where this sandbox refuses raising the hard limit, the soft limit up to it.
 */
function raiseFdLimit(pid: number): void {
  const need = DEVICES + 1_000;
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${FD_LIMIT}:${FD_LIMIT}`], { stdio: 'ignore' });
    return;
  } catch {
    // Not permitted: the hard limit stays, the soft one goes up to it.
  }
  const hard = Number(
    execFileSync('prlimit', ['--pid', String(pid), '--nofile', '--output=HARD', '--noheadings'])
      .toString()
      .trim(),
  );
  if (!(hard >= need)) throw new Error(`bench: process ${pid} may open ${hard} files; ${need} are needed`);
  execFileSync('prlimit', ['--pid', String(pid), `--nofile=${hard}:${hard}`]);
}

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** User + system CPU seconds the process has used. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** RSS after settling, and the share of a core used over the idle window. */
async function idleWindow(pid: number): Promise<{ rss: number; cpuShare: number }> {
  // The first throttled last-seen writes come a minute after the welcome: the window takes them in.
  await sleep(SETTLE_SECONDS * 1000);
  const cpu0 = cpuOf(pid);
  const t0 = now();
  await sleep(IDLE_SECONDS * 1000);
  const cpuShare = (cpuOf(pid) - cpu0) / ((now() - t0) / 1000);
  return { rss: rssOf(pid), cpuShare };
}

/** Waits until every client of `members` got a poke at `cursor` or later; returns each one's latency from `t0`. */
async function pokeLatencies(members: readonly IdleClient[], cursor: number, t0: number): Promise<number[]> {
  const deadline = now() + 30_000;
  const arrival = (c: IdleClient) => {
    let first: number | undefined;
    for (const [k, at] of c.pokes) if (k >= cursor && (first === undefined || at < first)) first = at;
    return first;
  };
  while (members.some((c) => arrival(c) === undefined)) {
    if (now() > deadline) throw new Error(`a poke at cursor ${cursor} did not reach every device in 30 s`);
    await sleep(5);
  }
  return members.map((c) => arrival(c)! - t0);
}

/** Samples the tenant backends in pg_stat_activity: the most per tenant and in all, seen so far. */
function backendSampler() {
  let perTenant = 0;
  let total = 0;
  let client: Awaited<ReturnType<typeof adminClient>> | undefined;
  let stopped: Promise<void> | undefined;
  const sampler = startSampler(async () => {
    client ??= await adminClient();
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE starts_with(datname, $1) GROUP BY datname',
      [TENANT_DB_PREFIX],
    );
    perTenant = Math.max(perTenant, ...rows.map((r) => r.n));
    total = Math.max(
      total,
      rows.reduce((n, r) => n + r.n, 0),
    );
  }, 20);
  return {
    /** Stops sampling (once; again answers the same figures). */
    async stop() {
      stopped ??= (async () => {
        await sampler.stop();
        await client?.end();
      })();
      await stopped;
      return { perTenant, total };
    },
  };
}

/** Onboards the tenants and registers their devices (one INSERT per tenant: tokens as registerDevice makes them). */
async function prepare(platform: Awaited<ReturnType<typeof createTestPlatform>>): Promise<IdleClient[]> {
  const clients: IdleClient[] = [];
  const start = now();
  for (let t = 0; t < TENANTS; t++) {
    checkInterrupted();
    const id = orgId('i', t);
    await onboardTenant(platform.tenants, { orgId: id, name: `Idle ${id}`, currency: 'EUR' });
    const count = Math.floor(DEVICES / TENANTS) + (t < DEVICES % TENANTS ? 1 : 0);
    const secrets = Array.from({ length: count }, () => randomBytes(24).toString('base64url'));
    const db = await adminClient(tenantDatabaseName(id));
    try {
      await db.query(
        `INSERT INTO devices (id, branch_id, name, token_hash, created_at, last_applied_seq)
         SELECT d.id, b.id, d.name, d.hash, $4, 0
         FROM unnest($1::text[], $2::text[], $3::text[]) AS d(id, name, hash), branches b WHERE b.code = 'MAIN'`,
        [
          secrets.map(() => randomUUID()),
          secrets.map((_, i) => `Till ${i + 1}`),
          secrets.map(hashToken),
          new Date().toISOString(),
        ],
      );
    } finally {
      await db.end();
    }
    for (const s of secrets) clients.push(newClient(id, formatDeviceToken(id, s)));
    if ((t + 1) % 20 === 0) log(`  onboarded ${t + 1}/${TENANTS} tenants (${fmt((now() - start) / 1000)} s)`);
  }
  return clients;
}

export async function idleDevicesBench(): Promise<Row[]> {
  for (const [name, value] of Object.entries({ DEVICES, TENANTS, IDLE_SECONDS, POKES, POOLS, POOL_SIZE })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`bench: ${name} must be a whole number ≥ 1`);
  }
  raiseFdLimit(process.pid);
  const masterKey = randomBytes(32);
  const platform = await createTestPlatform('postgres', { keyring: createKeyring(masterKey) });
  rememberNames(platform.config.controlDatabase!, platform.config.templateDatabase!);
  const schemaVersion = latestVersion(platform.tenants.tenantMigrations);
  const logger = lineLogger('bench', 'warn', (line) => console.error(`  bench: ${line}`));
  const signals = await startSyncSignals(
    platform.notifications,
    { poke() {}, pokeAll() {}, revoke() {}, resolved() {} },
    logger,
  );
  let cloud: CloudProcess | undefined;
  let clients: IdleClient[] = [];
  const orgs = Array.from({ length: TENANTS }, (_, t) => orgId('i', t));
  const pokedOrgs = orgs.slice(0, Math.min(POKES, TENANTS));
  const ofOrg = (id: string) => clients.filter((c) => c.orgId === id);
  try {
    clients = await prepare(platform);
    const connect = (url: string, limit: number) =>
      connectAll(clients, url, schemaVersion, HEARTBEAT_MS, { limit, timeoutMs: 300_000 });

    // The raw ceiling: the same clients on a bare ws server.
    const raw = await startRawServer(HEARTBEAT_MS);
    raiseFdLimit(raw.pid);
    let rawIdle: { rss: number; cpuShare: number };
    const rawPokes: number[] = [];
    let rawStormMs: number;
    try {
      const rawConnectMs = await connect(raw.url, 500);
      log(`  raw: ${clients.length} devices connected in ${fmt(rawConnectMs / 1000)} s`);
      rawIdle = await idleWindow(raw.pid);
      for (const [k, id] of pokedOrgs.entries()) {
        const t0 = now();
        await raw.poke(id, k + 1);
        rawPokes.push(...(await pokeLatencies(ofOrg(id), k + 1, t0)));
      }
      await closeAll(clients);
      rawStormMs = await connect(raw.url, Number.POSITIVE_INFINITY);
      log(`  raw: all ${clients.length} reconnected at once in ${fmt(rawStormMs / 1000)} s`);
      await closeAll(clients);
    } finally {
      await raw.stop();
    }
    for (const c of clients) c.pokes.clear();

    // The cloud, first with each idle heartbeat writing its device row alone (as before gathering).
    cloud = await startCloudProcess(
      platform,
      masterKey,
      { maxPools: POOLS, poolSize: POOL_SIZE },
      { MODERNPOS_SYNC_LAST_SEEN_GATHER_SECONDS: '0' },
    );
    raiseFdLimit(cloud.pid);
    const connectMs = await connect(cloud.url, 500);
    log(`  cloud: ${clients.length} devices connected in ${fmt(connectMs / 1000)} s`);
    const idleAlone = await idleWindow(cloud.pid);
    log(
      `  cloud, each heartbeat write alone: RSS ${fmt(idleAlone.rss / MIB, 0)} MiB, CPU ${fmt(idleAlone.cpuShare * 100, 2)}% of a core`,
    );

    // The restart storm: killed, started again, every device reconnecting at once; first with each
    // hello asking the tenant's database alone (as before hello batches), then batched (the default).
    const storm = async (env: Record<string, string>) => {
      process.kill(cloud!.pid, 'SIGKILL');
      await allClosed(clients, 60_000);
      await cloud!.stop();
      for (const c of clients) c.refusals.clear();
      const restartedAt = now();
      cloud = await startCloudProcess(platform, masterKey, { maxPools: POOLS, poolSize: POOL_SIZE }, env);
      raiseFdLimit(cloud.pid);
      const listeningMs = now() - restartedAt;
      const backends = backendSampler();
      // A storm that takes longer than STORM_LIMIT_S is cut short and reported as such.
      const ms = await connectAll(clients, cloud.url, schemaVersion, HEARTBEAT_MS, {
        limit: Number.POSITIVE_INFINITY,
        timeoutMs: STORM_LIMIT_S * 1000,
      })
        .catch(() => Number.POSITIVE_INFINITY)
        .finally(() => backends.stop());
      const refusals = new Map<string, number>();
      for (const c of clients)
        for (const [code, n] of c.refusals) refusals.set(code, (refusals.get(code) ?? 0) + n);
      const refused = [...refusals].map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
      return { ms, listeningMs, used: await backends.stop(), peak: cloud.memory().peak, refused };
    };
    const secs = (ms: number) =>
      Number.isFinite(ms) ? `${fmt(ms / 1000)} s` : `over ${STORM_LIMIT_S} s (cut short)`;
    const alone = BEFORE ? await storm({ MODERNPOS_SYNC_HELLO_BATCH: '0' }) : undefined;
    if (alone)
      log(
        `  storm, each hello alone: all ${clients.length} welcomed in ${secs(alone.ms)}; at most ${alone.used.perTenant} backends per tenant and ${alone.used.total} in all; refusals ${alone.refused}`,
      );
    const batched = await storm({});
    const { ms: stormMs, listeningMs, used, peak: stormRss } = batched;

    // The default cloud (hellos batched, idle heartbeat writes gathered): idle, then catalog changes.
    const idle = await idleWindow(cloud.pid);
    const cloudPokes: number[] = [];
    for (const id of pokedOrgs) {
      const db = platform.engine.openDatabase(tenantDatabaseName(id));
      try {
        let cursor = 0;
        const t0 = now();
        await createProduct(
          {
            db,
            actor: 'bench',
            onCommitted: async (c) => {
              cursor = c;
              await signals.catalogChanged(id, c);
            },
          },
          {
            sku: `IDLE-${randomBytes(3).toString('hex').toUpperCase()}`,
            name: 'Idle bench product',
            priceMinor: 100,
          },
        );
        cloudPokes.push(...(await pokeLatencies(ofOrg(id), cursor, t0)));
      } finally {
        await db.close();
      }
    }
    await closeAll(clients);

    const p99 = percentile(cloudPokes, 99);
    const rawP99 = percentile(rawPokes, 99);
    /** CPU seconds per device heartbeat: the share of a core times the interval, spread over the devices. */
    const perBeat = (share: number) => (share * (HEARTBEAT_MS / 1000)) / clients.length;
    log(
      `  cloud pid ${cloud.pid}: idle RSS ${fmt(idle.rss / MIB, 0)} MiB (raw ${fmt(rawIdle.rss / MIB, 0)} MiB); CPU ${fmt(idle.cpuShare * 100, 2)}% of a core over ${IDLE_SECONDS} s at the default ${HEARTBEAT_MS / 1000} s heartbeat (raw ${fmt(rawIdle.cpuShare * 100, 2)}%), ${fmt(perBeat(idle.cpuShare) * 1e6, 1)} µs CPU per device heartbeat`,
    );
    log(
      `  pokes: ${cloudPokes.length} deliveries over ${pokedOrgs.length} catalog changes, p50 ${fmt(percentile(cloudPokes, 50))} ms p99 ${fmt(p99)} ms (raw broadcast p50 ${fmt(percentile(rawPokes, 50))} ms p99 ${fmt(rawP99)} ms)`,
    );
    log(
      `  storm: cloud listening ${fmt(listeningMs / 1000)} s after the restart began, then all ${clients.length} welcomed in ${secs(stormMs)} (raw ${fmt(rawStormMs / 1000)} s); at most ${used.perTenant} backends per tenant (pool size ${POOL_SIZE}) and ${used.total} in all (budget ${POOLS * POOL_SIZE}); refusals ${batched.refused}; peak RSS ${fmt(stormRss / MIB, 0)} MiB`,
    );
    const n = `${clients.length} devices/${TENANTS} tenants`;
    return [
      row(
        `idle: cloud RSS, ${n} connected`,
        { value: idle.rss, text: `${fmt(idle.rss / MIB, 0)} MiB` },
        {
          ceiling: { value: rawIdle.rss, text: `${fmt(rawIdle.rss / MIB, 0)} MiB bare ws server` },
          target: { limit: 1024 * MIB, text: '≤ 1024 MiB' },
        },
      ),
      row(
        `idle: cloud CPU, each idle heartbeat writing alone (MODERNPOS_SYNC_LAST_SEEN_GATHER_SECONDS=0: before gathering)`,
        { value: idleAlone.cpuShare, text: `${fmt(idleAlone.cpuShare * 100, 2)}% of a core` },
        {
          ceiling: { value: rawIdle.cpuShare, text: `${fmt(rawIdle.cpuShare * 100, 2)}% bare ws server` },
          target: { limit: 0.1, text: '≤ 10%' },
        },
      ),
      row(
        `idle: cloud CPU over ${IDLE_SECONDS} s of heartbeats (${HEARTBEAT_MS / 1000} s), ${n}`,
        { value: idle.cpuShare, text: `${fmt(idle.cpuShare * 100, 2)}% of a core` },
        {
          ceiling: { value: rawIdle.cpuShare, text: `${fmt(rawIdle.cpuShare * 100, 2)}% bare ws server` },
          target: { limit: 0.1, text: '≤ 10%' },
        },
      ),
      row(
        `idle: catalog change → poke at every device of its tenant, p99 (${cloudPokes.length} deliveries)`,
        { value: p99, text: `${fmt(p99)} ms` },
        {
          ceiling: { value: rawP99, text: `${fmt(rawP99)} ms bare ws broadcast` },
          target: { limit: 2_000, text: '≤ 2000 ms' },
        },
      ),
      row(
        `idle: restart storm, all ${clients.length} welcomed after the restarted cloud listens`,
        { value: stormMs, text: secs(stormMs) },
        {
          ceiling: { value: rawStormMs, text: `${fmt(rawStormMs / 1000, 1)} s bare ws server` },
          target: { limit: 60_000, text: '≤ 60 s' },
        },
      ),
      ...(alone
        ? [
            row(
              `idle: restart storm with each hello alone (MODERNPOS_SYNC_HELLO_BATCH=0: before batching)`,
              { value: alone.ms, text: `${secs(alone.ms)} (≤ ${alone.used.total} backends)` },
              {
                ceiling: { value: rawStormMs, text: `${fmt(rawStormMs / 1000, 1)} s bare ws server` },
                target: { limit: 60_000, text: '≤ 60 s' },
              },
            ),
          ]
        : []),
      row(
        `idle: restart storm, most tenant backends at once (per tenant ${used.perTenant}, pool size ${POOL_SIZE})`,
        { value: used.total, text: `${used.total} backends` },
        { target: { limit: POOLS * POOL_SIZE, text: `≤ ${POOLS * POOL_SIZE} (budget)` } },
      ),
    ];
  } finally {
    for (const c of clients) c.ws?.terminate();
    await cloud?.stop();
    await signals.stop();
    await platform.destroy();
  }
}
