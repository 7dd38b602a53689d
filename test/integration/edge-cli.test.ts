// `modernpos edge` refuses bad settings with one clear line and exit status 2, before it creates
// anything. (The agent's happy path runs as a real process in edge-crash.test.ts.)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { testDeviceToken } from '../helpers/edge.ts';

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
  ])('%s', async (_, argv, message) => {
    const run = await runCli(argv, {});
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    expect(run.err.split('\n')).toHaveLength(1);
    expect(existsSync(db)).toBe(false);
  });
});
