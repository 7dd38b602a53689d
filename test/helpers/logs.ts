// Loggers for tests that read what was logged.
import { type Logger, lineLogger } from '../../src/log.ts';

/** A logger (level debug) whose lines are kept in memory. */
export function memoryLogger(name = 'test'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: lineLogger(name, 'debug', (l) => lines.push(l)), lines };
}
