// `modernpos edge` refuses bad settings with one clear line and exit status 2, before it creates
// anything (--open-cashier-api on an address other machines reach among them), and its banner says
// whether the cashier API is open. (The agent's happy path runs as a real process in edge-crash.test.ts.)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { testDeviceToken } from '../helpers/edge.ts';
import { startEdgeProcess } from '../helpers/edge-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'modernpos-edge-cli-'));
const db = join(dir, 'edge.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = ['edge', '--edge-db', db, '--edge-port', '0', '--cloud-url', 'http://127.0.0.1:9'];

describe('modernpos edge: bad settings', () => {
  it.each([
    [
      'no cloud URL or token',
      ['edge', '--edge-db', db],
      /usage: modernpos edge --cloud-url URL --token TOKEN/,
    ],
    ['a malformed token', [...base, '--token', 'secret', '--branch', 'B01'], /device token is malformed/],
    [
      'a token with a bad org id',
      [...base, '--token', `mpd_Acme_${'x'.repeat(32)}`, '--branch', 'B01'],
      /malformed/,
    ],
    [
      'a cloud URL that is not a URL',
      ['edge', '--cloud-url', 'nowhere', '--token', testDeviceToken()],
      /not a URL/,
    ],
    ['a bad branch code', [...base, '--token', testDeviceToken(), '--branch', 'main-1'], /--branch must be/],
    [
      'a bad currency',
      [...base, '--token', testDeviceToken(), '--branch', 'B01', '--currency', 'euro'],
      /ISO 4217/,
    ],
    [
      'a bad time zone',
      [...base, '--token', testDeviceToken(), '--branch', 'B01', '--timezone', 'Mars/Base'],
      /IANA/,
    ],
    [
      'a bad port',
      [...base, '--token', testDeviceToken(), '--branch', 'B01', '--edge-port', '99999'],
      /MODERNPOS_EDGE_PORT/,
    ],
    [
      'no branch on first start',
      [...base, '--token', testDeviceToken()],
      /pass --branch CODE on first start/,
    ],
    ['an unknown edge subcommand', ['edge', 'frobnicate'], /unknown edge command/],
    [
      '--open-cashier-api on every address',
      [
        ...base,
        '--token',
        testDeviceToken(),
        '--branch',
        'B01',
        '--open-cashier-api',
        '--edge-host',
        '0.0.0.0',
      ],
      /--open-cashier-api .* listens only on a loopback address .*--edge-host is 0\.0\.0\.0/,
    ],
    [
      '--open-cashier-api on a LAN address',
      [
        ...base,
        '--token',
        testDeviceToken(),
        '--branch',
        'B01',
        '--open-cashier-api',
        '--edge-host',
        '192.168.1.20',
      ],
      /loopback/,
    ],
    [
      'a refund approval limit that is no amount',
      [...base, '--token', testDeviceToken(), '--branch', 'B01', '--refund-approval-above', 'lots'],
      /MODERNPOS_EDGE_REFUND_APPROVAL_ABOVE/,
    ],
  ])('%s', async (_, argv, message) => {
    const run = await runCli(argv, {});
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    expect(run.err.split('\n')).toHaveLength(1);
    expect(existsSync(db)).toBe(false);
  });
});

describe('modernpos edge: the open cashier API', () => {
  it('is refused on a non-loopback address set in the environment too', async () => {
    const run = await runCli([...base, '--token', testDeviceToken(), '--branch', 'B01'], {
      MODERNPOS_EDGE_OPEN_CASHIER_API: 'true',
      MODERNPOS_EDGE_HOST: '::',
    });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/loopback/);
    expect(existsSync(db)).toBe(false);
  });

  it.each([
    [['--open-cashier-api'], 201, /Open cashier API is ON/],
    [[], 401, /Cashiers sign in at POST \/v1\/cashier-sessions/],
  ])('with %j a sale without a session answers %i, and the banner says so', async (args, status, banner) => {
    const agent = await startEdgeProcess({ dbFile: join(dir, `agent-${args.length}.db`), args });
    try {
      const res = await fetch(`${agent.url}/v1/sales`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          terminal: 'T1',
          lines: [{ name: 'Tea', unitPriceMinor: 300, qtyMilli: 1000, taxRateBp: 0 }],
          payments: [{ method: 'cash', amountMinor: 300 }],
        }),
      });
      expect(res.status).toBe(status);
      expect(agent.output()).toMatch(banner);
    } finally {
      await agent.stop('SIGTERM');
    }
  });
});
