// `modernpos tenant move` as a real process against the real clusters: a move killed (SIGKILL) after
// each of its steps finishes when the command runs again, on both methods (logical replication
// mp_b → mp_c, the offline copy from the main cluster); and the refusals' exit codes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MOVE_STEPS } from '../../cloud/tenants/move/steps.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { holdMpCUp, NO_CLUSTERS, PG_URL_B, PG_URL_C } from '../helpers/clusters.ts';
import { dropPostgresLeftovers, PG_URL, uniqueId } from '../helpers/engines.ts';
import { dropMoveLeftovers } from '../helpers/move.ts';

describe.skipIf(NO_CLUSTERS)(
  `modernpos tenant move on the real clusters ${NO_CLUSTERS ? `(skipped: ${NO_CLUSTERS})` : ''}`,
  () => {
    const suffix = randomBytes(4).toString('hex');
    const env = {
      MODERNPOS_PG_URL: PG_URL!,
      MODERNPOS_MASTER_KEY: randomBytes(32).toString('base64'),
      MODERNPOS_CONTROL_DB: `modernpos_test_control_${suffix}`,
      MODERNPOS_TEMPLATE_DB: `modernpos_test_template_${suffix}`,
      MODERNPOS_BACKUP_DIR: '',
    };
    let root: string;
    const orgs: string[] = [];
    const cli = (argv: string[]) => runCli(argv, env);
    const clusterOf = async (orgId: string) =>
      JSON.parse((await cli(['tenant', 'show', orgId, '--json'])).out).cluster as string;
    const create = async (cluster: string) => {
      const orgId = uniqueId('mvk');
      orgs.push(orgId);
      const made = await cli(['tenant', 'create', orgId, '--name', 'Killed mid-move', '--cluster', cluster]);
      expect(made.code, made.err).toBe(0);
      return orgId;
    };

    // mp_c stays up while each test (and the setup and teardown) runs: cluster-outage.test.ts waits.
    let release: (() => Promise<void>) | undefined;
    beforeEach(async () => {
      release = await holdMpCUp();
    });
    afterEach(async () => {
      await release?.();
    });
    const holding = async (fn: () => Promise<void>) => {
      const up = await holdMpCUp();
      try {
        await fn();
      } finally {
        await up();
      }
    };

    beforeAll(() =>
      holding(async () => {
        root = mkdtempSync(join(tmpdir(), 'modernpos-movecli-'));
        env.MODERNPOS_BACKUP_DIR = join(root, 'backups');
        for (const [name, url] of [
          ['b', PG_URL_B!],
          ['c', PG_URL_C!],
        ]) {
          const added = await cli(['cluster', 'add', name!, '--url', url!]);
          expect(added.code, added.err).toBe(0);
        }
      }),
    );
    afterAll(() =>
      holding(async () => {
        await dropMoveLeftovers(PG_URL_B!, env.MODERNPOS_TEMPLATE_DB, orgs);
        await dropMoveLeftovers(PG_URL_C!, env.MODERNPOS_TEMPLATE_DB, orgs);
        await dropMoveLeftovers(PG_URL!, env.MODERNPOS_TEMPLATE_DB, orgs);
        await dropPostgresLeftovers(
          { controlDatabase: env.MODERNPOS_CONTROL_DB, templateDatabase: env.MODERNPOS_TEMPLATE_DB },
          orgs,
        );
        rmSync(root, { recursive: true, force: true });
      }),
    );

    /** Killed after `step`; `switched`: the tenant is on the target by then. */
    const killAndRerun = async (from: string, to: string, step: string, switched = step === 'switched') => {
      const orgId = await create(from);
      const killed = await spawnCli(['tenant', 'move', orgId, '--to', to], {
        ...env,
        MODERNPOS_TEST_CRASH_AFTER: step,
        NODE_ENV: 'test',
      });
      expect(killed.signal, killed.err).toBe('SIGKILL');
      expect(await clusterOf(orgId)).toBe(switched ? to : from);
      const again = await spawnCli(['tenant', 'move', orgId, '--to', to, '--json'], env);
      expect(again.code, again.err).toBe(0);
      const result = JSON.parse(again.out);
      expect(result).toMatchObject({ orgId, to, resumed: true });
      expect(await clusterOf(orgId)).toBe(to);
      return result;
    };

    it.each([...MOVE_STEPS.logical, 'switched'])(
      'finishes an online move (mp_b → mp_c) whose process was killed after %s',
      async (step) => {
        // An online move checksums after its switch: killed after it, the tenant is on the target.
        const afterSwitch = step === 'switched' || step === 'verified';
        const result = await killAndRerun('b', 'c', step, afterSwitch);
        expect(result.method).toBe('logical');
        // Killed between the switch and the checksums: run again, it says they were skipped.
        expect(result.verification.checksums).toBe(step === 'switched' ? 'skipped' : 'matched');
      },
    );

    it.each(['frozen', 'copied', 'verified'])(
      'finishes an offline-copy move (main → mp_b) whose process was killed after %s',
      async (step) => {
        const result = await killAndRerun('default', 'b', step);
        expect(result).toMatchObject({ method: 'copy', fallbackReason: expect.stringMatching(/wal_level/) });
        expect(typeof result.freezeMs).toBe('number');
      },
    );

    it('undoes a killed move with --abort', async () => {
      const orgId = await create('b');
      const killed = await spawnCli(['tenant', 'move', orgId, '--to', 'c'], {
        ...env,
        MODERNPOS_TEST_CRASH_AFTER: 'frozen',
        NODE_ENV: 'test',
      });
      expect(killed.signal).toBe('SIGKILL');
      // Another target is refused while this move is unfinished.
      const other = await cli(['tenant', 'move', orgId, '--to', 'default']);
      expect(other.code).toBe(1);
      expect(other.err).toMatch(/a move of .* to cluster c is in progress/);
      const aborted = await cli(['tenant', 'move', orgId, '--abort']);
      expect(aborted.code, aborted.err).toBe(0);
      expect(aborted.out).toMatch(/stays on b/);
      expect(await clusterOf(orgId)).toBe('b');
    });

    it('prints the freeze, and refuses bad moves with their exit codes', async () => {
      const orgId = await create('b');
      const moved = await cli(['tenant', 'move', orgId, '--to', 'c']);
      expect(moved.code, moved.err).toBe(0);
      expect(moved.out).toMatch(/Moved .* from b to c \(logical replication\)/);
      expect(moved.out).toMatch(/Writes were frozen for \d+ ms/);

      const same = await cli(['tenant', 'move', orgId, '--to', 'c']);
      expect([same.code, same.err]).toEqual([1, expect.stringMatching(/already on cluster c/)]);
      const unknown = await cli(['tenant', 'move', orgId, '--to', 'nowhere']);
      expect([unknown.code, unknown.err]).toEqual([1, expect.stringMatching(/cluster nowhere not found/)]);
      const bad = await cli(['tenant', 'move', orgId, '--to', 'No Such']);
      expect(bad.code).toBe(2);
      expect((await cli(['tenant', 'move', orgId])).code).toBe(2);
      expect((await cli(['tenant', 'move', orgId, '--to', 'b', '--abort'])).code).toBe(2);
      const nothing = await cli(['tenant', 'move', orgId, '--abort']);
      expect([nothing.code, nothing.err]).toEqual([1, expect.stringMatching(/already switched/)]);
      const missing = await cli(['tenant', 'move', 'nosuchorg', '--to', 'b']);
      expect(missing.code).toBe(1);
    });
  },
);
