// Stopping a detached child's process group never throws for a group that is already gone (ESRCH),
// and a child that ignores the first signal is killed after the grace period.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { signalGroup, stopGroup } from '../helpers/process-group.ts';

/** A detached node child running `code`, with a promise of its exit and of its first output. */
function detached(code: string) {
  const child = spawn(process.execPath, ['-e', code], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const spoke = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { child, exited, spoke };
}

describe('process groups in tests', () => {
  it('signals a group that has already exited without throwing (ESRCH), and stops it as a no-op', async () => {
    const { child, exited } = detached('');
    await exited;
    expect(signalGroup(child.pid!, 'SIGKILL')).toBe(false);
    await expect(stopGroup(child, exited)).resolves.toBeUndefined();
  });

  it('kills a group that ignores SIGINT once the grace period is over', async () => {
    const { child, exited, spoke } = detached(
      "process.on('SIGINT', () => {}); setInterval(() => {}, 1000); console.log('ready');",
    );
    await spoke;
    await stopGroup(child, exited, 'SIGINT', 200);
    expect(child.signalCode).toBe('SIGKILL');
    expect(signalGroup(child.pid!, 'SIGKILL')).toBe(false);
  });
});
