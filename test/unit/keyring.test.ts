import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring, keyIdOf, parseMasterKey } from '../../cloud/secrets/keyring.ts';
import { hashSecret, verifySecret } from '../../cloud/secrets/passwords.ts';

const dsn = 'postgres://modernpos_org_acme:s3cret-Pa55@127.0.0.1:5432/modernpos_org_acme';

describe('keyring (AES-256-GCM, key id beside each ciphertext)', () => {
  it('seals and opens, and the ciphertext does not contain the plaintext', () => {
    const ring = createKeyring(randomBytes(32));
    const sealed = ring.seal(dsn, 'acme');
    expect(sealed.keyId).toBe(ring.currentKeyId);
    expect(sealed.ciphertext).not.toContain('s3cret');
    expect(Buffer.from(sealed.ciphertext, 'base64').toString('latin1')).not.toContain('s3cret');
    expect(ring.open(sealed, 'acme')).toBe(dsn);
  });

  it('opens ciphertexts of a previous key while sealing with the new one', () => {
    const oldKey = randomBytes(32);
    const sealedOld = createKeyring(oldKey).seal(dsn, 'acme');
    const ring = createKeyring(randomBytes(32), [oldKey]);
    expect(ring.open(sealedOld, 'acme')).toBe(dsn);
    expect(ring.seal(dsn, 'acme').keyId).not.toBe(keyIdOf(oldKey));
  });

  it('binds a ciphertext to its org: moved onto another org it fails authentication', () => {
    const ring = createKeyring(randomBytes(32));
    expect(() => ring.open(ring.seal(dsn, 'acme'), 'globex')).toThrow(/failed authentication/);
  });

  it('refuses an unknown key and a tampered ciphertext with a clear error', () => {
    const sealed = createKeyring(randomBytes(32)).seal(dsn, 'acme');
    expect(() => createKeyring(randomBytes(32)).open(sealed, 'acme')).toThrow(/not configured/);
    const ring = createKeyring(randomBytes(32));
    const mine = ring.seal(dsn, 'acme');
    const raw = Buffer.from(mine.ciphertext, 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => ring.open({ ...mine, ciphertext: raw.toString('base64') }, 'acme')).toThrow(
      /failed authentication/,
    );
  });

  it('parses only base64 32-byte keys, without echoing the value', () => {
    const good = randomBytes(32).toString('base64');
    expect(parseMasterKey(good, 'K')).toHaveLength(32);
    expect(() => parseMasterKey('short', 'K')).toThrow(/32-byte/);
    try {
      parseMasterKey('not-a-key-but-secret', 'K');
    } catch (err) {
      expect(String(err)).not.toContain('not-a-key-but-secret');
    }
  });
});

describe('scrypt secrets', () => {
  it('verifies the right secret only', async () => {
    const hash = await hashSecret('correct horse');
    expect(hash).toMatch(/^scrypt\$/);
    expect(await verifySecret('correct horse', hash)).toBe(true);
    expect(await verifySecret('wrong horse', hash)).toBe(false);
    expect(await verifySecret('x', 'garbage')).toBe(false);
  });
});
