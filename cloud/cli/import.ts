// `modernpos tenant import ORG --from-url URL --schema SCHEMA [--name N] [--decommission]
// [--cluster NAME | --region R] [--json]` (docs/import.md).
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import { AppError } from '../../src/errors.ts';
import { importTenant } from '../tenants/import/import.ts';
import { type ImportInput, validateImportInput } from '../tenants/import/request.ts';
import { openCliPlatform } from './open.ts';

const usage =
  'usage: modernpos tenant import ORG --from-url URL --schema SCHEMA [--name N] [--decommission] [--cluster NAME | --region R] [--json]';

export async function runImportCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const orgId = args.positionals[2];
  if (orgId === undefined || args.flags['from-url'] === undefined || args.flags.schema === undefined)
    throw new AppError('invalid_input', usage);
  const input: ImportInput = {
    orgId,
    fromUrl: args.flags['from-url'],
    schema: args.flags.schema,
    name: args.flags.name,
    decommission: args.flags.decommission === true,
    cluster: args.flags.cluster,
    region: args.flags.region,
  };
  // Checked before the platform opens: bad input writes nothing.
  validateImportInput(input);
  const { platform } = await openCliPlatform(args.flags, io, 'cli');
  let result: Awaited<ReturnType<typeof importTenant>>;
  try {
    result = await importTenant(platform.tenants, input);
  } finally {
    await platform.close();
  }
  if (args.flags.json) {
    io.out(JSON.stringify(result, null, 2));
    return EXIT.ok;
  }
  if (result.alreadyImported) {
    io.out(
      `${result.orgId} was already imported (database ${result.database} on cluster ${result.cluster}); the legacy schema ${result.schema} is ${result.decommissioned ? 'now dropped' : 'read-only'}.`,
    );
    return EXIT.ok;
  }
  io.out(
    `Imported ${result.orgId} from schema ${result.schema} of ${result.source} (schema version ${result.legacyVersion} → ${result.schemaVersion}) into ${result.database} on cluster ${result.cluster}: ${result.tables.length} tables, ${result.rows} rows, counts and checksums verified.`,
  );
  if (result.resumed) io.out('(An interrupted import was started over and finished.)');
  io.out(
    `Legacy writes were frozen for ${result.frozenMs} ms; the tenant is served from its own database now.`,
  );
  io.out(
    result.decommissioned
      ? `Legacy schema ${result.schema} dropped.`
      : `Legacy schema ${result.schema} kept, read-only; drop it later with --decommission.`,
  );
  return EXIT.ok;
}
