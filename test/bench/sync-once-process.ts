// `modernpos edge sync --once` as a branch runs it: the compiled bin as a child process on an edge
// database file, timed from spawn to exit; its --json summary is parsed from stdout.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SyncSummary } from '../../edge/sync/sync-client.ts';
import { now } from './common.ts';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));

export interface SyncOnceRun {
  summary: SyncSummary & { seconds: number };
  /** Spawn to exit. */
  ms: number;
}

function runBin(args: string[]): Promise<{ ms: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, TZ: process.env.TZ },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = now() - start;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`modernpos ${args.join(' ')} exited ${code}: ${stderr.slice(-800)}`));
    });
  });
}

/** Builds the compiled bin if it is stale (not timed: a branch runs an installed build). */
export async function warmBin(): Promise<void> {
  await runBin(['--help']);
}

export async function syncOnceProcess(edgeDb: string, cloudUrl: string, token: string): Promise<SyncOnceRun> {
  const { ms, stdout } = await runBin([
    'edge',
    'sync',
    '--once',
    '--edge-db',
    edgeDb,
    '--cloud-url',
    cloudUrl,
    '--token',
    token,
    '--timezone',
    'Europe/Lisbon',
    '--json',
  ]);
  const line = stdout.trim().split('\n').pop() ?? '';
  return { ms, summary: JSON.parse(line) as SyncOnceRun['summary'] };
}
