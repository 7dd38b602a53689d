// AES-256-GCM encryption of tenant DSNs under a master key. Each ciphertext is stored with the id of
// the key that made it, so `keys rotate` can re-encrypt under a new key while the old one still opens
// whatever has not been re-encrypted yet.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../src/errors.ts';

export interface Sealed {
  ciphertext: string;
  keyId: string;
}

export interface Keyring {
  /** Id of the key new ciphertexts are made with. */
  readonly currentKeyId: string;
  /**
   * Encrypts `plaintext` bound to `context` (the org id): a ciphertext copied onto another org's
   * row fails authentication instead of routing one tenant to another's database.
   */
  seal(plaintext: string, context: string): Sealed;
  open(sealed: Sealed, context: string): string;
  has(keyId: string): boolean;
}

/** Parses a base64 master key; exactly 32 bytes. The message never repeats the value. */
export function parseMasterKey(value: string, source: string): Buffer {
  const key = Buffer.from(value.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64') !== value.trim()) {
    throw new AppError(
      'invalid_input',
      `${source} must be a base64-encoded 32-byte key (openssl rand -base64 32)`,
    );
  }
  return key;
}

export function generateMasterKey(): string {
  return randomBytes(32).toString('base64');
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('modernpos-master-key').update(key).digest('hex').slice(0, 16);
}

function associatedData(keyId: string, context: string): Buffer {
  return Buffer.from(`${keyId}\u0000${context}`);
}

export function createKeyring(current: Buffer, previous: readonly Buffer[] = []): Keyring {
  const keys = new Map<string, Buffer>();
  for (const key of [current, ...previous]) keys.set(keyIdOf(key), key);
  const currentKeyId = keyIdOf(current);
  return {
    currentKeyId,
    has: (keyId) => keys.has(keyId),
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(associatedData(currentKeyId, context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return {
        ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64'),
        keyId: currentKeyId,
      };
    },
    open({ ciphertext, keyId }, context) {
      const key = keys.get(keyId);
      if (!key) {
        throw new AppError(
          'operation_failed',
          `a connection string is sealed with master key ${keyId}, which is not configured; set it as a previous key`,
        );
      }
      const raw = Buffer.from(ciphertext, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(associatedData(keyId, context));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new AppError(
          'operation_failed',
          `a connection string sealed with key ${keyId} failed authentication`,
        );
      }
    },
  };
}
