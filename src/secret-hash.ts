// Secrets people choose (HQ passwords, cashier and manager PINs) are stored as scrypt hashes. The
// cloud hashes them; the edge checks PINs against the hashes it pulls, offline.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

function scryptAsync(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret.normalize('NFKC'), salt, KEYLEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64). */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `secret` matches a stored `scrypt$…` hash; false for anything malformed. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const params = [Number(n), Number(r), Number(p)];
  // A pulled hash is data: parameters outside what this code writes are refused, never run.
  if (params.some((x) => !Number.isInteger(x) || x < 1) || params[0]! > 1 << 20 || params[1]! > 32)
    return false;
  const expected = Buffer.from(hash, 'base64');
  try {
    const key = await scryptAsync(secret, Buffer.from(salt, 'base64'), params[0]!, params[1]!, params[2]!);
    return key.length === expected.length && timingSafeEqual(key, expected);
  } catch {
    // Parameters scrypt itself refuses (N not a power of two, …): no secret matches.
    return false;
  }
}
