// PIN and password hashes (src/secret-hash.ts): the edge checks PINs against hashes it pulled, so a
// malformed or hostile hash must match nothing rather than run scrypt with parameters it chose.
import { describe, expect, it } from 'vitest';
import { hashSecret, verifySecret } from '../../src/secret-hash.ts';

describe('scrypt secret hashes', () => {
  it('match their own secret only', async () => {
    const hash = await hashSecret('4321');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifySecret('4321', hash)).toBe(true);
    expect(await verifySecret('4322', hash)).toBe(false);
  });

  it('match nothing when malformed or asking for more work than the cloud writes', async () => {
    const [, , , , salt, key] = (await hashSecret('4321')).split('$');
    for (const stored of [
      '',
      'plain',
      `bcrypt$16384$8$1$${salt}$${key}`,
      `scrypt$${2 ** 24}$8$1$${salt}$${key}`,
      `scrypt$16384$64$1$${salt}$${key}`,
      `scrypt$1000$8$1$${salt}$${key}`,
      `scrypt$x$8$1$${salt}$${key}`,
      `scrypt$16384$8$0$${salt}$${key}`,
    ]) {
      expect(await verifySecret('4321', stored), stored).toBe(false);
    }
  });
});
