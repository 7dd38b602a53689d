// `modernpos device register ORG --branch CODE --name NAME [--json]` and `device revoke ORG DEVICE_ID`:
// the same service functions as the HQ API, on the tenant's own database through a one-pool resolver.
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import type { SqlDatabase } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { registerDevice, revokeDevice } from '../devices/devices.ts';
import { createTenantResolver } from '../resolver/tenant-resolver.ts';
import { requireOrgId } from '../tenants/validate.ts';
import { openCliPlatform } from './open.ts';

const usage =
  'usage: modernpos device register ORG --branch CODE --name NAME [--json] | device revoke ORG DEVICE_ID';

async function onTenant<T>(
  args: ParsedArgs,
  io: CliIO,
  orgId: string,
  fn: (db: SqlDatabase) => Promise<T>,
): Promise<T> {
  const { platform } = await openCliPlatform(args.flags, io, 'cli');
  const resolver = createTenantResolver({
    control: platform.control,
    engine: platform.engine,
    keyring: platform.tenants.keyring,
    maxPools: 1,
    poolSize: 1,
  });
  try {
    return await resolver.withTenant(orgId, fn);
  } finally {
    await resolver.close();
    await platform.close();
  }
}

export async function runDeviceCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [, sub, org, deviceId] = args.positionals;
  if (org === undefined) throw new AppError('invalid_input', usage);
  const orgId = requireOrgId(org);
  if (sub === 'register') {
    const { branch, name } = args.flags;
    if (branch === undefined || name === undefined) throw new AppError('invalid_input', usage);
    const device = await onTenant(args, io, orgId, (db) =>
      registerDevice({ db, orgId, actor: 'operator (cli)' }, { branch, name }),
    );
    if (args.flags.json) io.out(JSON.stringify(device, null, 2));
    else {
      io.out(`Registered device ${device.deviceId} for branch ${device.branch} of ${orgId}.`);
      io.out(`Device token (shown once, store it now): ${device.token}`);
    }
    return EXIT.ok;
  }
  if (sub === 'revoke' && deviceId !== undefined) {
    const { revokedAt } = await onTenant(args, io, orgId, (db) =>
      revokeDevice({ db, orgId, actor: 'operator (cli)' }, deviceId),
    );
    io.out(`Device ${deviceId} of ${orgId} revoked at ${revokedAt}; its next sync message is refused.`);
    return EXIT.ok;
  }
  throw new AppError('invalid_input', usage);
}
