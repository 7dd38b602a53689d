// Secrets the embedded engine generates on first start (SPEC §4): the master key in
// `<dataDir>/master.key` and the admin token in `<dataDir>/admin.token`, both mode 0600.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export const masterKeyFile = (dataDir: string) => join(dataDir, 'master.key');
/** Holds the key being replaced while `keys rotate` re-encrypts; removed when it finishes. */
export const previousMasterKeyFile = (dataDir: string) => join(dataDir, 'master.key.previous');
export const adminTokenFile = (dataDir: string) => join(dataDir, 'admin.token');

/** Reads a secret file, or creates it with `make()`; `created` tells whether this call made it. */
export function loadOrCreateSecret(file: string, make: () => string): { value: string; created: boolean } {
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), created: false };
  writeSecretFile(file, make());
  return { value: readFileSync(file, 'utf8').trim(), created: true };
}

export function readSecretFile(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** Writes a secret atomically with mode 0600. */
export function writeSecretFile(file: string, value: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${value}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function removeSecretFile(file: string): void {
  if (existsSync(file)) unlinkSync(file);
}
