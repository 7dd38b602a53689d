// Checks of operator input about clusters, done before anything is written. Messages never repeat a
// URL (it may hold a password): they name its host and port only.
import { sanitizeText, textProblem } from '../../src/domain/bounds.ts';
import { AppError } from '../../src/errors.ts';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

const shown = (value: unknown) => JSON.stringify(sanitizeText(String(value ?? ''), 40));

export function requireClusterName(value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new AppError(
      'invalid_input',
      `invalid cluster name ${shown(value)}: use 1-32 lowercase letters, digits and '-', starting with a letter`,
    );
  }
  return value;
}

export function requireRegion(value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new AppError(
      'invalid_input',
      `invalid region ${shown(value)}: use 1-32 lowercase letters, digits and '-', starting with a letter (eu-central)`,
    );
  }
  return value;
}

/** Where a URL points, for messages: host:port, never the credentials. */
export function whereOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return 'an unparseable URL';
  }
}

/** An admin URL: postgres://user[:password]@host[:port]/database, at most 2000 characters, no control characters. */
export function requireClusterUrl(value: unknown): string {
  const usage = 'the cluster URL must look like postgres://user:password@host:5432/postgres';
  if (typeof value !== 'string' || value.length === 0)
    throw new AppError('invalid_input', `${usage} (--url)`);
  if (value.length > 2000 || textProblem(value) !== undefined) {
    throw new AppError('invalid_input', `${usage}; it is too long or holds control characters`);
  }
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new AppError('invalid_input', `${usage}; it is not a URL`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new AppError('invalid_input', `${usage}; it must start with postgres://`);
  }
  if (!u.hostname) throw new AppError('invalid_input', `${usage}; it names no host`);
  if (!u.username) throw new AppError('invalid_input', `${usage}; it names no user`);
  if (u.pathname.length <= 1) throw new AppError('invalid_input', `${usage}; it names no database`);
  return value;
}
