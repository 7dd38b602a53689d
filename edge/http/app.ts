// The cashier API (SPEC §7) on Hono: sales, refunds, shifts, product lookup and the sync status of
// this edge. Built from its store so tests drive it with app.request(); one error handler answers
// every refusal and failure as {"error":{"code","message","details"}}.
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { textLimits } from '../../src/domain/bounds.ts';
import {
  cashMovementSchema,
  codeSchema,
  noSaleSchema,
  refundInputSchema,
  saleInputSchema,
  shiftCloseSchema,
  shiftOpenSchema,
  signInSchema,
  strictObject,
  text,
} from '../../src/domain/payloads.ts';
import {
  adjustmentInputSchema,
  countInputSchema,
  receiptInputSchema,
  transferInputSchema,
} from '../../src/domain/stock.ts';
import { errorBody, limitBody, parseJsonBody, parseQuery, toErrorResponse } from '../../src/http/errors.ts';
import { mountApiDocs } from '../../src/http/openapi/serve.ts';
import { requestLog } from '../../src/http/request-log.ts';
import { type Logger, silentLogger } from '../../src/log.ts';
import { type EdgeOutcome, edgeErrorStatus, refuseWith } from '../errors.ts';
import type { Recorded } from '../store/sales.ts';
import type { EdgeStore } from '../store/store.ts';
import type { FetchOriginal } from '../sync/fetch-original.ts';
import { bearerToken, createCashierAuth } from './cashier-auth.ts';
import { lazyEdgeMetrics } from './lazy-metrics.ts';
import { edgeApi } from './openapi.ts';
import { askCloudForOriginal, readSale } from './original-lookup.ts';
import { mountRegisterPage } from './page-routes.ts';
import { mountRegisterRoutes } from './register-routes.ts';

export interface EdgeAppOptions {
  store: EdgeStore;
  /** Largest accepted request body (default 1 MiB). */
  maxBodyBytes?: number;
  /** Request lines and internal errors (default: nowhere). */
  logger?: Logger;
  /** Whether the sync loop is connected, for /metrics (absent: not syncing). */
  syncConnected?: () => boolean;
  /**
   * --open-cashier-api: writes need no cashier session and nothing needs approval; the cashier is
   * the body's free text, as before sign-in existed (loopback only: edge/config.ts).
   */
  openCashierApi?: boolean;
  /** Fetches another till's sale from the cloud to refund it here (absent: this edge has no cloud). */
  fetchOriginal?: FetchOriginal;
  /**
   * Sales arriving together share one commit (default true); false gives each sale its own
   * transaction, as before group commit (the benchmark's before figure).
   */
  groupCommit?: boolean;
}

const limit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).optional().default(fallback);

export const saleListQuery = strictObject({
  terminal: codeSchema.optional(),
  kind: z.enum(['sale', 'refund']).optional(),
  businessDate: z.iso.date().optional(),
  shiftId: z.string().min(1).max(64).optional(),
  before: z.string().min(1).max(64).optional(),
  limit: limit(500, 50),
});

export const stockQuery = strictObject({ productId: text(textLimits.id).min(1).optional() });

export const journalVerifyQuery = strictObject({ terminal: codeSchema.optional() });

export const productQuery = strictObject({
  q: z.string().trim().max(120).optional().default(''),
  limit: limit(200, 50),
});

/** Answers an outcome: the value with `status`, or the refusal with its documented status. */
function answer<T>(c: Context, outcome: EdgeOutcome<T>, status: ContentfulStatusCode = 200): Response {
  if (outcome.ok) return c.json(outcome.value as object, status);
  const { code, message, details } = outcome.error;
  return c.json(errorBody(code, message, details), edgeErrorStatus(code) as ContentfulStatusCode);
}

/** 201 with the new document, or 200 with the first answer for a repeated id. */
function answerRecorded<T>(c: Context, outcome: EdgeOutcome<Recorded<T>>): Response {
  if (!outcome.ok) return answer(c, outcome);
  return c.json(outcome.value.value as object, outcome.value.created ? 201 : 200);
}

export function createEdgeApp(options: EdgeAppOptions): Hono {
  const { store } = options;
  const logger = options.logger ?? silentLogger();
  const app = new Hono();

  const metrics = lazyEdgeMetrics(store, options.syncConnected);
  app.use('*', requestLog(logger));
  app.use('*', metrics.timing);
  app.use('*', limitBody(options.maxBodyBytes));

  app.get('/healthz', (c) => c.json({ status: 'ok', branch: store.branch }));
  app.get('/metrics', async (c) => {
    const { contentType, body } = await metrics.scrape();
    c.header('content-type', contentType);
    return c.body(body);
  });

  const auth = createCashierAuth(store, options.openCashierApi === true);
  const grouped = options.groupCommit !== false;

  app.post('/v1/cashier-sessions', async (c) => {
    const signedIn = await store.cashierSessions.signIn(await parseJsonBody(c, signInSchema));
    return answer(c, signedIn, 201);
  });
  app.get('/v1/cashier-sessions/current', (c) => {
    const token = bearerToken(c);
    if (token === undefined)
      return answer(c, refuseWith('cashier_session_required', 'no cashier session sent'));
    return answer(c, store.cashierSessions.find(token));
  });
  app.delete('/v1/cashier-sessions/current', (c) => {
    const token = bearerToken(c);
    if (token === undefined)
      return answer(c, refuseWith('cashier_session_required', 'no cashier session sent'));
    return answer(c, store.cashierSessions.signOut(token));
  });

  app.post('/v1/sales', async (c) => {
    const session = auth.session(c);
    if (!session.ok) return answer(c, session);
    const input = await parseJsonBody(c, saleInputSchema);
    const actor = await auth.actor(session.value, input.terminal, input.approval);
    if (!actor.ok) return answer(c, actor);
    const record = () => store.sales.recordSale(input, actor.value);
    // Answered only once the commit holding the sale has returned: a 201 is on disk.
    return answerRecorded(c, grouped ? await store.groupCommit.run(record) : record());
  });
  app.get('/v1/sales', (c) => answer(c, store.listSales(parseQuery(c, saleListQuery))));
  app.get('/v1/sales/:id', async (c) => answer(c, await readSale(store, c.req.param('id'), options)));
  app.post('/v1/sales/:id/refunds', async (c) => {
    const session = auth.session(c);
    if (!session.ok) return answer(c, session);
    const input = await parseJsonBody(c, refundInputSchema);
    const actor = await auth.actor(session.value, input.terminal, input.approval);
    if (!actor.ok) return answer(c, actor);
    const fetched = await askCloudForOriginal(store, c.req.param('id'), options);
    return answerRecorded(c, store.sales.recordRefund(c.req.param('id'), input, actor.value, fetched));
  });

  app.get('/v1/products', (c) => {
    const { q, limit } = parseQuery(c, productQuery);
    return c.json({ products: store.searchProducts(q, limit) });
  });

  app.post('/v1/shifts', async (c) => {
    const session = auth.session(c);
    if (!session.ok) return answer(c, session);
    const input = await parseJsonBody(c, shiftOpenSchema);
    const actor = await auth.actor(session.value, input.terminal, undefined);
    if (!actor.ok) return answer(c, actor);
    return answerRecorded(c, store.shifts.open(input, actor.value));
  });
  app.post('/v1/shifts/:id/cash-movements', async (c) => {
    const session = auth.session(c);
    if (!session.ok) return answer(c, session);
    const input = await parseJsonBody(c, cashMovementSchema);
    const actor = await auth.actor(session.value, session.value?.terminal ?? '', undefined);
    if (!actor.ok) return answer(c, actor);
    return answerRecorded(c, store.shifts.moveCash(c.req.param('id'), input, actor.value));
  });
  app.post('/v1/shifts/:id/close', async (c) => {
    const session = auth.session(c);
    if (!session.ok) return answer(c, session);
    const input = await parseJsonBody(c, shiftCloseSchema);
    const actor = await auth.actor(session.value, session.value?.terminal ?? '', undefined);
    if (!actor.ok) return answer(c, actor);
    return answer(c, store.shifts.close(c.req.param('id'), input, actor.value));
  });
  app.post('/v1/drawer/no-sale', async (c) => {
    const session = auth.session(c);
    if (!session.ok) return answer(c, session);
    const { approval, ...input } = await parseJsonBody(c, noSaleSchema);
    const actor = await auth.actor(session.value, input.terminal, approval);
    if (!actor.ok) return answer(c, actor);
    return answerRecorded(c, store.drawer.noSale(input, actor.value));
  });
  app.get('/v1/shifts/:id/x-report', (c) => answer(c, store.shifts.report(c.req.param('id'))));

  // Stock beyond sales (docs/stock.md): each recorded once per id, synced like a sale. Like every
  // write, it needs a cashier session, and the document names the signed-in user as its actor.
  const stockWrite =
    <I extends { cashier?: string | undefined }, T>(
      schema: z.ZodType<I>,
      record: (input: I) => EdgeOutcome<Recorded<T>>,
    ) =>
    async (c: Context) => {
      const session = auth.session(c);
      if (!session.ok) return answer(c, session);
      const input = await parseJsonBody(c, schema);
      const user = session.value?.user;
      return answerRecorded(c, record(user ? { ...input, cashier: user.name } : input));
    };
  app.post('/v1/stock/receipts', stockWrite(receiptInputSchema, store.stock.receive));
  app.post('/v1/stock/adjustments', stockWrite(adjustmentInputSchema, store.stock.adjust));
  app.post('/v1/stock/counts', stockWrite(countInputSchema, store.stock.count));
  app.post('/v1/stock/transfers', stockWrite(transferInputSchema, store.stock.transfer));
  app.get('/v1/stock', (c) => {
    const { productId } = parseQuery(c, stockQuery);
    return c.json({ branch: store.branch, onHand: store.stock.onHand(productId) });
  });

  // A read like the others: no cashier session; it answers 200 with `intact: false` for a broken chain.
  app.get('/v1/journal/verify', (c) => {
    const { terminal } = parseQuery(c, journalVerifyQuery);
    return c.json(store.verifyJournal(terminal));
  });

  app.get('/v1/sync/status', (c) =>
    c.json({ ...store.outbox.status(store.now()), connected: options.syncConnected?.() ?? false }),
  );

  // The register page at `/` and the reads and quotes it needs (docs/register.md).
  mountRegisterPage(app);
  mountRegisterRoutes(app, options);
  // The cashier API's OpenAPI document at /openapi.json and its reference page at /docs (docs/edge.md).
  mountApiDocs(app, edgeApi());

  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) =>
    toErrorResponse(
      c,
      err,
      (e) => (c.get('log') ?? logger).error({ err: e }, 'internal error'),
      // better-sqlite3 reports extended codes too (SQLITE_BUSY_SNAPSHOT, …).
      (e) =>
        String((e as { code?: unknown }).code).startsWith('SQLITE_BUSY')
          ? c.json(errorBody('store_busy', 'the local store is busy; try again'), 503)
          : undefined,
    ),
  );
  return app;
}
