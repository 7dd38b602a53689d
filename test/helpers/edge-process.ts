// The edge agent as a real child process (`modernpos edge`), for tests that kill it: started on an
// ephemeral port, ready once it prints its listening line, stopped by any signal (SIGKILL included).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { BIN } from './cli.ts';
import { testDeviceToken } from './edge.ts';

export interface EdgeProcessOptions {
  dbFile: string;
  branch?: string;
  currency?: string;
  /** More `modernpos edge` flags, e.g. ['--synchronous', 'normal']. */
  args?: string[];
  /** How long to wait for the listening line (default 20 s). */
  startTimeoutMs?: number;
}

export interface EdgeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface EdgeProcess {
  /** `http://127.0.0.1:PORT`: the agent listens on 127.0.0.1 only. */
  url: string;
  port: number;
  pid: number;
  /** Everything the agent wrote so far (internal errors are logged on stderr). */
  output(): string;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** Sends `signal` (if still running) and waits for the exit. */
  stop(signal: NodeJS.Signals): Promise<EdgeExit>;
}

const LISTENING = /listening on http:\/\/localhost:(\d+)/;

/** Starts `modernpos edge` on `dbFile` and resolves once it accepts requests. */
export function startEdgeProcess(options: EdgeProcessOptions): Promise<EdgeProcess> {
  const argv = [
    BIN,
    'edge',
    ...['--cloud-url', 'http://127.0.0.1:9', '--token', testDeviceToken('acme')],
    ...['--branch', options.branch ?? 'B01', '--currency', options.currency ?? 'EUR'],
    ...['--edge-port', '0', '--edge-host', '127.0.0.1', '--edge-db', options.dbFile],
    ...(options.args ?? []),
  ];
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, argv, {
    env: { PATH: process.env.PATH },
  });
  let out = '';
  let exit: EdgeExit | undefined;
  const exited = new Promise<EdgeExit>((resolve) => {
    child.on('close', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  const handle = (port: number): EdgeProcess => ({
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    output: () => out,
    get exited() {
      return exit !== undefined;
    },
    stop(signal) {
      if (exit === undefined) child.kill(signal);
      return exited;
    },
  });

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`edge agent did not start: ${why}\n${out}`));
    };
    const timer = setTimeout(() => fail('timed out'), options.startTimeoutMs ?? 20_000);
    child.on('error', (err) => fail(err.message));
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.stdout.on('data', (d) => {
      out += d;
      const port = LISTENING.exec(out)?.[1];
      if (port !== undefined && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve(handle(Number(port)));
      }
    });
    void exited.then((e) => fail(`exited with ${e.signal ?? e.code}`));
  });
}
