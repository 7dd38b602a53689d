// /admin/clusters (behind the admin token, mounted by admin-routes.ts): the twins of `modernpos
// cluster …`, on the same service functions.
import { Hono } from 'hono';
import { z } from 'zod';
import { strictObject } from '../../src/domain/payloads.ts';
import { parseJsonBody } from '../../src/http/errors.ts';
import {
  addCluster,
  listClusterViews,
  removeCluster,
  setDraining,
  showCluster,
} from '../clusters/registry.ts';
import { audit } from '../control/audit.ts';
import type { TenantContext } from '../tenants/context.ts';

/** Each field's own rules (name, URL, region) are checked by the service, with messages that say which. */
export const addClusterBody = strictObject({
  name: z.string().max(200),
  url: z.string().max(4000),
  region: z.string().max(200).optional(),
});

export function createClusterRoutes(ctx: TenantContext): Hono {
  const app = new Hono();

  app.get('/', async (c) => c.json({ clusters: await listClusterViews(ctx) }));

  app.post('/', async (c) => {
    const body = await parseJsonBody(c, addClusterBody).catch(async (err: unknown) => {
      // A body that is not even the right shape is a refused add too, audited like the others.
      await audit(ctx.control, {
        actor: ctx.actor,
        action: 'cluster.add.refused',
        details: { code: 'invalid_input', message: 'the body is not {"name", "url", "region"?}' },
      }).catch(() => {});
      throw err;
    });
    return c.json(await addCluster(ctx, body), 201);
  });

  app.get('/:name', async (c) => c.json(await showCluster(ctx, c.req.param('name'))));

  app.post('/:name/drain', async (c) => c.json(await setDraining(ctx, c.req.param('name'), true)));

  app.post('/:name/undrain', async (c) => c.json(await setDraining(ctx, c.req.param('name'), false)));

  app.delete('/:name', async (c) => c.json(await removeCluster(ctx, c.req.param('name'))));

  return app;
}
