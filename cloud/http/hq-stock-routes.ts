// HQ stock routes (docs/stock.md, docs/hq-api.md): goods received, adjustments, counts and transfers
// recorded at HQ, reorder levels, and on hand per branch. Writes need `catalog:write` (owners and
// managers); reading on hand needs a session.
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { parseQuery } from '../../src/http/errors.ts';
import type { StockKind } from '../../src/protocol/stock.ts';
import {
  type HqStockInput,
  hqStockSchemas,
  listOnHand,
  onHandQuery,
  recordHqStock,
  reorderLevelSchema,
  setReorderLevel,
} from '../catalog/stock.ts';
import { requirePermission } from '../hq/sessions.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { jsonBody } from './hq-request.ts';
import { type HqEnv, hqSession } from './hq-session.ts';

export interface HqStockRoutesOptions {
  resolver: TenantResolver;
  now?: () => Date;
}

const paths: Record<string, StockKind> = {
  receipts: 'stock_receipt',
  adjustments: 'stock_adjustment',
  counts: 'stock_count',
  transfers: 'stock_transfer',
};

export function createHqStockRoutes(options: HqStockRoutesOptions): Hono<HqEnv> {
  const { resolver } = options;
  const now = options.now ?? (() => new Date());
  const app = new Hono<HqEnv>();
  const session = hqSession(resolver, now);

  /** The session's org and email, once it may write stock, and the body parsed by `schema`. */
  const writer = async <I>(c: Context<HqEnv>, schema: z.ZodType<I>) => {
    const { orgId, user } = c.var.session;
    requirePermission(user, 'catalog:write');
    return { orgId, actor: user.email, body: await jsonBody(c, schema) };
  };

  for (const [path, kind] of Object.entries(paths)) {
    app.post(`/stock/${path}`, session, async (c) => {
      const { orgId, actor, body } = await writer<HqStockInput>(c, hqStockSchemas[kind]);
      const recorded = await resolver.withTenant(orgId, (db) =>
        recordHqStock({ db, actor, now }, kind, body),
      );
      return c.json(recorded.document as object, recorded.created ? 201 : 200);
    });
  }

  app.put('/stock/reorder-levels', session, async (c) => {
    const { orgId, actor, body } = await writer(c, reorderLevelSchema);
    return c.json(await resolver.withTenant(orgId, (db) => setReorderLevel({ db, actor, now }, body)));
  });

  app.get('/stock', session, async (c) => {
    const { orgId } = c.var.session;
    const { branch } = parseQuery(c, onHandQuery);
    return c.json({ onHand: await resolver.withTenant(orgId, (db) => listOnHand(db, branch ?? null)) });
  });

  return app;
}
