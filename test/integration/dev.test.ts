// `modernpos dev` (what `npm start` runs), in-process on the embedded engine: it starts the cloud,
// the demo tenant and an edge agent, prints two ready `curl`s that work — a sale at the edge, then
// the HQ report it arrives in — stops cleanly on Ctrl-C, and finds everything again on a second start.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { runCli } from '../helpers/cli.ts';
import { waitFor } from '../helpers/wait.ts';

interface DevRun {
  lines: string[];
  /** Asks the command to stop, as Ctrl-C does, and resolves with its exit code. */
  stop(): Promise<number>;
}

async function startDev(dataDir: string): Promise<DevRun> {
  const lines: string[] = [];
  let requestStop: (signal: string) => void = () => {};
  const done = main(['dev'], {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    env: { MODERNPOS_DATA_DIR: dataDir, PORT: '0', MODERNPOS_EDGE_PORT: '0' },
    waitForStop: () => new Promise((resolve) => (requestStop = resolve)),
  });
  let exited: number | undefined;
  done.then((code) => (exited = code));
  await waitFor(() => exited !== undefined || lines.some((l) => l.startsWith('Ctrl-C')), 120_000);
  if (exited !== undefined) throw new Error(`dev exited with ${exited}:\n${lines.join('\n')}`);
  return {
    lines,
    stop: () => {
      requestStop('SIGINT');
      return done;
    },
  };
}

/** The printed curl's URL, headers and body, run with fetch. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions check each body's shape
async function runCurl(line: string): Promise<{ status: number; body: any }> {
  const url = /'(http[^']+)'|\s(http\S+)/.exec(line)!;
  const headers = Object.fromEntries([...line.matchAll(/-H '([^:]+): ([^']+)'/g)].map((m) => [m[1], m[2]]));
  const data = /-d '([^']+)'/.exec(line)?.[1];
  const res = await fetch(url[1] ?? url[2]!, {
    method: line.includes('-X POST') ? 'POST' : 'GET',
    headers,
    ...(data ? { body: data } : {}),
  });
  return { status: res.status, body: await res.json() };
}

describe('modernpos dev', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'modernpos-dev-')), 'data');
  afterAll(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));

  it('serves the demo: a sale at the edge shows up in the HQ report; Ctrl-C stops it; a restart finds it', async () => {
    const first = await startDev(dataDir);
    const curlOf = (run: DevRun, what: RegExp) =>
      run.lines.find((l) => l.trim().startsWith('curl') && what.test(l))!;
    expect(first.lines.join('\n')).toMatch(/HQ login: POST http:\/\/localhost:\d+\/v1\/orgs\/demo\/sessions/);
    const password = /password (\S+)/.exec(first.lines.join('\n'))![1];
    expect(statSync(join(dataDir, 'demo-login.json')).mode & 0o777).toBe(0o600);
    // The demo cashier's code and PIN are printed; the sale curl carries a session made for the run.
    const pin = /Demo cashier: code 1001 {2}PIN (\d{6})/.exec(first.lines.join('\n'))?.[1];
    expect(pin).toBeDefined();
    expect(statSync(join(dataDir, 'demo-cashier.json')).mode & 0o777).toBe(0o600);
    expect(curlOf(first, /\/v1\/sales/)).toMatch(/Authorization: Bearer mpc_/);
    // The register is printed and served by the edge.
    const register = /Register \(the cashier's page, served by the edge\): (http:\/\/\S+\/)$/m.exec(
      first.lines.join('\n'),
    )?.[1];
    const page = await fetch(register!);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('/assets/register.js');

    const sale = await runCurl(curlOf(first, /\/v1\/sales/));
    expect(sale).toMatchObject({ status: 201, body: { receiptNo: 'MAIN-T1-000001', totalMinor: 350 } });
    const report = curlOf(first, /\/v1\/reports\/sales/);
    await waitFor(async () => (await runCurl(report)).body.totals?.count === 1, 10_000);
    const started = Date.now();
    expect(await first.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);

    const second = await startDev(dataDir);
    try {
      const text = second.lines.join('\n');
      expect(text).not.toMatch(/First start/);
      expect(/password (\S+)/.exec(text)![1]).toBe(password);
      expect(/Demo cashier: code 1001 {2}PIN (\d{6})/.exec(text)?.[1]).toBe(pin);
      const again = await runCurl(curlOf(second, /\/v1\/sales/));
      expect(again).toMatchObject({ status: 201, body: { receiptNo: 'MAIN-T1-000002' } });
      const report2 = curlOf(second, /\/v1\/reports\/sales/);
      await waitFor(async () => (await runCurl(report2)).body.totals?.count === 2, 10_000);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 240_000);

  it('never takes over an organization called "demo" that it did not make', async () => {
    const other = join(dataDir, '..', 'other');
    const env = { MODERNPOS_DATA_DIR: other, PORT: '0', MODERNPOS_EDGE_PORT: '0' };
    expect((await runCli(['tenant', 'create', 'demo', '--name', 'Somebody'], env)).code).toBe(0);
    const run = await runCli(['dev'], env);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/an organization "demo" exists that modernpos dev did not make/);
  }, 240_000);
});
