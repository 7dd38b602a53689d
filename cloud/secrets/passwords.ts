// Passwords and PINs are stored as scrypt hashes; tokens are random and compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export { hashSecret, verifySecret } from '../../src/secret-hash.ts';

/** A random secret of `bytes` bytes (≥ 16, i.e. 128 bits), base64url. */
export function randomSecret(bytes = 24): string {
  if (bytes < 16) throw new Error('secrets carry at least 128 random bits');
  return randomBytes(bytes).toString('base64url');
}

/**
 * The stored form of a random token's secret (device tokens, HQ sessions): they carry 192 random bits,
 * so a fast hash is enough; passwords and PINs, which people choose, get scrypt instead.
 */
export const hashToken = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Compares two secrets in constant time (hashing first, so lengths leak nothing either). */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
