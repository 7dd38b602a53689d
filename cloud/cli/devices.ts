// `modernpos device register ORG --branch CODE --name NAME [--json]` and `device revoke ORG DEVICE_ID`:
// the same service functions as the HQ API, on the tenant's own database through a one-pool resolver.
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import { AppError } from '../../src/errors.ts';
import { registerDevice, revokeDevice } from '../devices/devices.ts';
import { requireOrgId } from '../tenants/validate.ts';
import { onTenant } from './open.ts';

const usage =
  'usage: modernpos device register ORG --branch CODE --name NAME [--json] | device revoke ORG DEVICE_ID';

export async function runDeviceCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [, sub, org, deviceId] = args.positionals;
  if (org === undefined) throw new AppError('invalid_input', usage);
  const orgId = requireOrgId(org);
  if (sub === 'register') {
    const { branch, name } = args.flags;
    if (branch === undefined || name === undefined) throw new AppError('invalid_input', usage);
    const device = await onTenant(args.flags, io, orgId, (db) =>
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
    const { revokedAt } = await onTenant(args.flags, io, orgId, (db) =>
      revokeDevice({ db, orgId, actor: 'operator (cli)' }, deviceId),
    );
    io.out(`Device ${deviceId} of ${orgId} revoked at ${revokedAt}; its next sync message is refused.`);
    return EXIT.ok;
  }
  throw new AppError('invalid_input', usage);
}
