// `modernpos keys rotate`. Postgres: the operator sets the new MODERNPOS_MASTER_KEY and lists the old
// one in MODERNPOS_PREVIOUS_MASTER_KEYS; every DSN is re-encrypted under the new one. Embedded: a new
// key is generated; the old one waits in master.key.previous until every DSN is re-encrypted, so a
// crash mid-way loses nothing and re-running finishes.
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import { resolveKeyring } from '../config.ts';
import {
  masterKeyFile,
  previousMasterKeyFile,
  readSecretFile,
  removeSecretFile,
  writeSecretFile,
} from '../secrets/bootstrap.ts';
import { generateMasterKey } from '../secrets/keyring.ts';
import { reencryptConnectionStrings } from '../tenants/credentials.ts';
import { openCliPlatform } from './open.ts';

export async function rotateKeys(args: ParsedArgs, io: CliIO): Promise<number> {
  // Opened first: on the embedded engine that takes the data-directory lock, so the key files are
  // never swapped under a running server.
  const opened = await openCliPlatform(args.flags, io, 'cli');
  const { raw, config } = opened;
  try {
    let ctx = opened.platform.tenants;
    let finish = () => {};
    if (config.engine.kind === 'embedded' && !raw.masterKey) {
      const currentFile = masterKeyFile(config.dataDir);
      const previousFile = previousMasterKeyFile(config.dataDir);
      const current = readSecretFile(currentFile);
      const previous = readSecretFile(previousFile);
      // previous === current: an earlier run died between saving the old key and writing the new one.
      if (current && (!previous || previous === current)) {
        if (!previous) writeSecretFile(previousFile, current);
        writeSecretFile(currentFile, generateMasterKey());
      }
      ctx = { ...ctx, keyring: resolveKeyring(raw, config) };
      finish = () => removeSecretFile(previousFile);
    }
    const result = await reencryptConnectionStrings(ctx);
    finish();
    if (args.flags.json) io.out(JSON.stringify(result));
    else {
      io.out(
        `Re-encrypted ${result.reencrypted} connection string(s) and ${result.clusterUrls} cluster URL(s) under master key ${result.keyId}.`,
      );
      if (config.engine.kind === 'postgres' || raw.masterKey) {
        io.out('Every DSN now uses the new key; remove the old key from MODERNPOS_PREVIOUS_MASTER_KEYS.');
      }
    }
    return EXIT.ok;
  } finally {
    await opened.platform.close();
  }
}
