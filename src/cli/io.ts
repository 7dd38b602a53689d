// What a command may touch of the outside world, passed in so tests run commands in-process.

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** Rewrites the current stderr line (progress on a terminal); absent when stderr is not a TTY. */
  progress?: ((line: string) => void) | undefined;
  env: Record<string, string | undefined>;
  /**
   * Resolves when the user asks a long-running command to stop (SIGINT/SIGTERM). Only servers call
   * it: other commands keep Node's default, so Ctrl-C stops them at once.
   */
  waitForStop(): Promise<string>;
}

/** Exit codes (SPEC §5). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function processIO(): CliIO {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progress: process.stderr.isTTY ? (line) => process.stderr.write(`\r\x1b[2K${line}`) : undefined,
    env: process.env,
    waitForStop: () =>
      new Promise<string>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
      }),
  };
}
