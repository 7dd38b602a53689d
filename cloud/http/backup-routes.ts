// /admin/tenants/:orgId/backup and /restore (behind the admin token, mounted by admin-routes.ts): the
// twins of `modernpos tenant backup` and `tenant restore`. Over HTTP a backup always goes into the
// server's backup directory and a restore reads only a file there, named without any folder, so the
// API can never be used to read or write elsewhere on the server.
import { basename, join } from 'node:path';
import { Hono } from 'hono';
import { z } from 'zod';
import { strictObject } from '../../src/domain/payloads.ts';
import { AppError } from '../../src/errors.ts';
import { parseJsonBody } from '../../src/http/errors.ts';
import { backupTenant } from '../tenants/backup.ts';
import type { TenantContext } from '../tenants/context.ts';
import { restoreTenant } from '../tenants/restore-tenant.ts';
import { requireOrgId } from '../tenants/validate.ts';

export const restoreBody = strictObject({
  /** A file in the backup directory, as `backup` named it (`file` of its answer, or its base name). */
  file: z.string().min(1).max(300),
  replace: z.literal(true).optional(),
  as: z.string().max(200).optional(),
  cluster: z.string().max(200).optional(),
});

/** A file of the backup directory: a bare name of printable characters, never a path. */
function inBackupDir(ctx: TenantContext, file: string): string {
  const name = file.startsWith(`${ctx.backupDir}/`) ? file.slice(ctx.backupDir.length + 1) : file;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (name !== basename(name) || name.startsWith('.') || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new AppError('invalid_input', 'file must name a backup in the backup directory (no folders)');
  }
  return join(ctx.backupDir, name);
}

export function createBackupRoutes(ctx: TenantContext): Hono {
  const app = new Hono();

  app.post('/:orgId/backup', async (c) => {
    const orgId = requireOrgId(c.req.param('orgId'));
    return c.json(await backupTenant(ctx, orgId), 201);
  });

  app.post('/:orgId/restore', async (c) => {
    const orgId = requireOrgId(c.req.param('orgId'));
    const body = await parseJsonBody(c, restoreBody);
    const result = await restoreTenant(ctx, {
      orgId,
      from: inBackupDir(ctx, body.file),
      replace: body.replace,
      as: body.as,
      cluster: body.cluster,
    });
    return c.json(result, result.mode === 'created' ? 201 : 200);
  });

  return app;
}
