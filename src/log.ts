// Structured logs (pino): one JSON object per line on stderr, with the org, device and request ids a
// line is about. Secrets never reach a line: fields that would carry one are redacted by name, and
// nothing logs a request's headers or body. Errors keep their code and message but never the values
// bound to a failed statement (src/log-errors.ts). `MODERNPOS_LOG_LEVEL` picks the level (default info).
import { Writable } from 'node:stream';
import { type DestinationStream, type Logger, pino, stdTimeFunctions, destination as toFd } from 'pino';

import { AppError } from './errors.ts';
import { errorForLog } from './log-errors.ts';

export type { Logger };

/** Field names whose values are secrets, at the top level or one object down. */
const SECRET_FIELDS = [
  'authorization',
  'token',
  'password',
  'ownerPassword',
  'pin',
  'dsn',
  'connectionString',
  'masterKey',
  'adminToken',
];
export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function createLogger(options: {
  name: string;
  level?: string | undefined;
  /** Where lines go (default stderr: stdout is for what a command prints). */
  destination?: DestinationStream;
}): Logger {
  const level = options.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new AppError(
      'invalid_input',
      `MODERNPOS_LOG_LEVEL ${level} is not one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  return pino(
    {
      name: options.name,
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: (err: unknown) => errorForLog(err) },
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
    },
    options.destination ?? toFd({ dest: 2, sync: true }),
  );
}

/** A logger that writes nothing (tests, benchmarks). */
export const silentLogger = (): Logger => pino({ level: 'silent' });

/** A logger that hands each line to `write` (the CLI's stderr, a test's array). */
export function lineLogger(name: string, level: string | undefined, write: (line: string) => void): Logger {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) write(line);
      done();
    },
  });
  return createLogger({ name, level, destination });
}
