// The cloud as a real child process (`modernpos cloud`), for tests that kill it: started with the
// environment it is given, ready once it prints its listening line, stopped by any signal (SIGKILL
// included) and started again on the same port with PORT set to it.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { BIN } from './cli.ts';
import { PG_URL, type TestPlatform } from './engines.ts';

export interface CloudProcess {
  url: string;
  port: number;
  output(): string;
  readonly exited: boolean;
  /** Sends `signal` (if still running) and waits for the exit. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

const LISTENING = /listening on http:\/\/localhost:(\d+)/;

/** Starts `modernpos cloud` with `env` and resolves once it prints its listening line. */
export function startCloudProcess(env: Record<string, string>): Promise<CloudProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, 'cloud'], {
    env: { PATH: process.env.PATH, ...env },
  });
  let out = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('close', () => {
      exited = true;
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail('timed out'), 30_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`the cloud did not start: ${why}\n${out}`));
    };
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.stdout.on('data', (d) => {
      out += d;
      const port = LISTENING.exec(out)?.[1];
      if (port === undefined) return;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${port}`,
        port: Number(port),
        output: () => out,
        get exited() {
          return exited;
        },
        stop(signal) {
          if (!exited) child.kill(signal);
          return exit;
        },
      });
    });
    void exit.then(() => fail('exited'));
  });
}

/**
 * The environment of a `modernpos cloud` serving `p` (a Postgres test platform made with a keyring of
 * `masterKey`) on an ephemeral port, its background migrations off.
 */
export function cloudProcessEnv(
  p: TestPlatform,
  masterKey: Buffer,
  adminToken: string,
): Record<string, string> {
  if (!PG_URL || !p.config.controlDatabase || !p.config.templateDatabase)
    throw new Error('a cloud process needs the real Postgres (MODERNPOS_TEST_PG_URL)');
  return {
    MODERNPOS_PG_URL: PG_URL,
    MODERNPOS_MASTER_KEY: masterKey.toString('base64'),
    MODERNPOS_ADMIN_TOKEN: adminToken,
    MODERNPOS_CONTROL_DB: p.config.controlDatabase,
    MODERNPOS_TEMPLATE_DB: p.config.templateDatabase,
    MODERNPOS_BACKUP_DIR: join(p.dataDir, 'backups'),
    MODERNPOS_MIGRATION_INTERVAL_SECONDS: '0',
    PORT: '0',
  };
}
