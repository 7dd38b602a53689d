// Signals to a whole process group (a detached child and everything it started), as a terminal's
// Ctrl-C does. A group that is already gone is not an error: on a loaded machine the child often
// exits between the decision to signal it and the signal itself.

/** Sends `signal` to the process group led by `pid`; false when no process of the group is left. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Ends a detached child's process group: `signal` now, SIGKILL if the child has not exited after
 * `graceMs`, and SIGKILL to whatever of the group outlived it. The timer goes with the child, so
 * it never fires at a group that is gone.
 */
export async function stopGroup(
  child: { pid?: number | undefined; exitCode: number | null; signalCode: NodeJS.Signals | null },
  exited: Promise<unknown>,
  signal: NodeJS.Signals = 'SIGINT',
  graceMs = 10_000,
): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    signalGroup(pid, signal);
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }
  signalGroup(pid, 'SIGKILL');
}
