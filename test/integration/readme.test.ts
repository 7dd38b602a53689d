// The README, followed as a newcomer would: a fresh clone in a temporary directory, `npm ci`, then
// `npm start` (the README's first command), the two `curl`s it prints run as printed, the sale found
// in the HQ report, and Ctrl-C (SIGINT to the process group, as a terminal sends it) stopping
// everything. No Postgres: the embedded engine. Ports 0, so it never collides with anything running.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { signalGroup, stopGroup } from '../helpers/process-group.ts';
import { waitFor } from '../helpers/wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sh = promisify(execFile);

describe('the README, followed from a fresh clone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modernpos-readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs, starts, records a sale at the edge, finds it in the HQ report, and stops on Ctrl-C', async () => {
    execFileSync('git', ['clone', '--quiet', root, dir]);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock.split('\n')[0]).toMatch(/^npm install && npm start\b/);
    expect(firstBlock.split('\n')[1]).toMatch(/^npm test\b/);

    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: dir,
      stdio: 'ignore',
      timeout: 600_000,
    });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      MODERNPOS_EDGE_PORT: '0',
    };
    const child = spawn('npm', ['start'], { cwd: dir, env, detached: true });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    // npm itself ends by the signal after its child (modernpos dev) has shut down.
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    let stopped = false;
    const stop = () => {
      if (!stopped && child.pid !== undefined) signalGroup(child.pid, 'SIGINT');
      stopped = true;
    };
    try {
      await waitFor(() => out.includes('Ctrl-C stops') || child.exitCode !== null, 240_000);
      expect(child.exitCode, out).toBeNull();
      const curls = out.split('\n').filter((l) => l.trim().startsWith('curl '));
      expect(curls, out).toHaveLength(2);
      const [sale, report] = curls.map((l) => `${l.trim()} --silent --show-error`);
      const sold = JSON.parse((await sh('sh', ['-c', sale!])).stdout);
      expect(sold).toMatchObject({ receiptNo: 'MAIN-T1-000001', kind: 'sale' });
      await waitFor(
        async () => JSON.parse((await sh('sh', ['-c', report!])).stdout).totals?.count === 1,
        20_000,
      );
      const cloudUrl = /listening on (http:\/\/localhost:\d+)/.exec(out)![1]!;
      const started = Date.now();
      stop();
      expect([
        { code: 0, signal: null },
        { code: null, signal: 'SIGINT' },
      ]).toContainEqual(await exited);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(out).toMatch(/received SIGINT; shutting down/);
      await expect(fetch(`${cloudUrl}/healthz`)).rejects.toThrow();
    } finally {
      // SIGINT unless already sent, SIGKILL after 10 s, and nothing of the group left behind.
      await stopGroup(child, exited, stopped ? 'SIGKILL' : 'SIGINT');
    }
  }, 900_000);
});
