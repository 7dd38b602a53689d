// `modernpos cloud` as a child process for the benchmarks that measure the cloud's own memory: started
// on a test platform's databases with its master key, its port read from the banner, its resident set
// read from /proc/<pid>/status (Linux), and stopped with SIGTERM (SIGKILL by pid if it hangs).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestPlatform } from '../helpers/engines.ts';
import { BENCH_PG_URL, now, sleep } from './common.ts';
import { ADMIN_TOKEN } from './sync-setup.ts';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));

export interface CloudProcess {
  pid: number;
  url: string;
  /** Resident set now and its high-water mark since start (or since `resetPeak`), in bytes. */
  memory(): { rss: number; peak: number };
  /** Resets the kernel's high-water mark to the current RSS (writes 5 to clear_refs); false if refused. */
  resetPeak(): boolean;
  /** The value of a gauge or counter on its /metrics (resolver pools, evictions…). */
  metric(name: string): Promise<number>;
  /** Several of them from one scrape, in the order asked. */
  metrics(names: readonly string[]): Promise<number[]>;
  /** What the process printed (for errors). */
  output(): string;
  stop(): Promise<void>;
}

const kib = (status: string, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;

/** Starts the cloud on `platform` (which must have been created with the keyring of `masterKey`). */
export async function startCloudProcess(
  platform: TestPlatform,
  masterKey: Buffer,
  resolver: { maxPools: number; poolSize: number },
  /** More of the cloud's settings, as environment variables. */
  env: Record<string, string> = {},
): Promise<CloudProcess> {
  // BENCH_CLOUD_CPU_PROF=<dir>: the process writes a CPU profile there when it stops.
  const profile = process.env.BENCH_CLOUD_CPU_PROF;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      BIN,
      'cloud',
      '--control-db',
      platform.config.controlDatabase!,
      '--template-db',
      platform.config.templateDatabase!,
    ],
    {
      env: {
        PATH: process.env.PATH,
        MODERNPOS_PG_URL: BENCH_PG_URL,
        MODERNPOS_MASTER_KEY: masterKey.toString('base64'),
        MODERNPOS_ADMIN_TOKEN: ADMIN_TOKEN,
        MODERNPOS_DATA_DIR: join(platform.dataDir, 'cloud-process'),
        MODERNPOS_MIGRATION_INTERVAL_SECONDS: '0',
        MODERNPOS_MAX_TENANT_POOLS: String(resolver.maxPools),
        MODERNPOS_TENANT_POOL_SIZE: String(resolver.poolSize),
        PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref());
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = now() + 30_000;
  const bannerPort = () => /listening on http:\/\/localhost:(\d+)/.exec(output)?.[1];
  while (!bannerPort()) {
    if (child.exitCode !== null || now() > deadline) {
      await stop();
      throw new Error(`the cloud process did not start: ${output.slice(-500)}`);
    }
    await sleep(20);
  }
  const port = bannerPort()!;
  const pid = child.pid!;
  const status = () => readFileSync(`/proc/${pid}/status`, 'utf8');
  const metrics = async (names: readonly string[]) => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers })).text();
    return names.map((name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN));
  };
  return {
    pid,
    url: `http://127.0.0.1:${port}`,
    memory() {
      const s = status();
      return { rss: kib(s, 'VmRSS'), peak: kib(s, 'VmHWM') };
    },
    resetPeak() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    metric: async (name) => (await metrics([name]))[0]!,
    metrics,
    output: () => output,
    stop,
  };
}
