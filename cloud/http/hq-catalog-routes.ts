// HQ catalog management (SPEC §6): branches, products, prices, tax rates and users. Each write parses its
// body with the catalog schema (cloud/catalog/schemas.ts) and hands the typed input to the catalog
// service, which writes the change log and the tenant's audit log in the same transaction; every cloud
// process is signalled once it commits, so connected edges pull the change within a second.
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import type { SqlDatabase } from '../../src/db/sql.ts';
import type { WriteContext } from '../catalog/catalog-write.ts';
import { createProduct, setPrice, updateProduct } from '../catalog/products.ts';
import { listBranches, listProducts, listTaxRates, listUsers } from '../catalog/queries.ts';
import { createBranch, createTaxRate, updateBranch, updateTaxRate } from '../catalog/reference-data.ts';
import {
  branchChangesSchema,
  branchInputSchema,
  priceInputSchema,
  productChangesSchema,
  productInputSchema,
  taxRateChangesSchema,
  taxRateInputSchema,
  userChangesSchema,
  userInputSchema,
} from '../catalog/schemas.ts';
import { createUser, type MayManage, updateUser } from '../catalog/users.ts';
import { can, requirePermission, type SessionUser } from '../hq/sessions.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import type { SyncSignals } from '../sync/sync-signals.ts';
import { idParam, jsonBody } from './hq-request.ts';
import { type HqEnv, hqSession } from './hq-session.ts';

export interface HqCatalogRoutesOptions {
  resolver: TenantResolver;
  signals?: Pick<SyncSignals, 'catalogChanged'> | undefined;
  now?: () => Date;
}

export function createHqCatalogRoutes(options: HqCatalogRoutesOptions): Hono<HqEnv> {
  const { resolver } = options;
  const now = options.now ?? (() => new Date());
  const app = new Hono<HqEnv>();
  const session = hqSession(resolver, now);

  /**
   * Runs a catalog write as the session's user, who needs `permission` (catalog:write by default),
   * with the body parsed by `schema`: bad input is refused (400) before any transaction starts.
   */
  const write = async <I, T>(
    c: Context<HqEnv>,
    schema: z.ZodType<I>,
    fn: (ctx: WriteContext, input: I, user: SessionUser) => Promise<T>,
    permission = 'catalog:write',
  ): Promise<T> => {
    const { orgId, user } = c.var.session;
    requirePermission(user, permission);
    const input = await jsonBody(c, schema);
    return resolver.withTenant(orgId, (db) =>
      fn(
        {
          db,
          actor: user.email,
          now,
          onCommitted: (cursor) => options.signals?.catalogChanged(orgId, cursor),
        },
        input,
        user,
      ),
    );
  };
  /** Managers are the owner's to make: a manager may not create or change one. */
  const mayManage =
    (user: SessionUser): MayManage =>
    (role) =>
      role !== 'manager' || can(user, '*');
  const read = async <T>(c: Context<HqEnv>, fn: (db: SqlDatabase) => Promise<T>) => {
    const { orgId } = c.var.session;
    return resolver.withTenant(orgId, fn);
  };

  app.get('/branches', session, async (c) => c.json({ branches: await read(c, listBranches) }));
  app.post('/branches', session, async (c) => c.json(await write(c, branchInputSchema, createBranch), 201));
  app.patch('/branches/:code', session, async (c) =>
    c.json(
      await write(c, branchChangesSchema, (ctx, changes) => updateBranch(ctx, idParam(c, 'code'), changes)),
    ),
  );

  app.get('/tax-rates', session, async (c) => c.json({ taxRates: await read(c, listTaxRates) }));
  app.post('/tax-rates', session, async (c) =>
    c.json(await write(c, taxRateInputSchema, createTaxRate), 201),
  );
  app.patch('/tax-rates/:id', session, async (c) =>
    c.json(
      await write(c, taxRateChangesSchema, (ctx, changes) => updateTaxRate(ctx, idParam(c, 'id'), changes)),
    ),
  );

  app.get('/products', session, async (c) =>
    c.json({ products: await read(c, (db) => listProducts(db, now())) }),
  );
  app.post('/products', session, async (c) => c.json(await write(c, productInputSchema, createProduct), 201));
  app.patch('/products/:id', session, async (c) =>
    c.json(
      await write(c, productChangesSchema, (ctx, changes) => updateProduct(ctx, idParam(c, 'id'), changes)),
    ),
  );
  app.post('/prices', session, async (c) => c.json(await write(c, priceInputSchema, setPrice), 201));

  // Cashiers (with PINs, which edges pull to check offline) and HQ managers and viewers (with passwords).
  app.get('/users', session, async (c) => c.json({ users: await read(c, listUsers) }));
  app.post('/users', session, async (c) =>
    c.json(
      await write(
        c,
        userInputSchema,
        (ctx, input, user) => createUser(ctx, input, mayManage(user)),
        'users:write',
      ),
      201,
    ),
  );
  app.patch('/users/:id', session, async (c) =>
    c.json(
      await write(
        c,
        userChangesSchema,
        (ctx, changes, user) => updateUser(ctx, idParam(c, 'id'), changes, mayManage(user)),
        'users:write',
      ),
    ),
  );

  return app;
}
