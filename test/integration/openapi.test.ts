// The OpenAPI documents of the cloud and the edge (docs/hq-api.md, docs/edge.md):
// 1. Coverage: every route Hono has registered on each app is an operation of its document, and every
//    operation is a registered route, but for the pages, their assets and the documents themselves
//    (listed below).
// 2. Generated: each schema in the served document is zod's conversion of the schema the operation
//    names (the one its route validates with), and every reference resolves.
// 3. Served: /openapi.json (OpenAPI 3.1) and /docs (HTML with the pages' strict CSP, every operation,
//    nothing loaded from elsewhere).
// 4. Answers: a representative request for each operation, against a real edge (SQLite) and a real
//    cloud (the embedded engine), answers a status the document lists with a body its schema accepts
//    (checked with the zod schemas the document was generated from: no JSON Schema validator is
//    installed). Every test's `call` (test/helpers/edge.ts) checks the same for every answer it gets.
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudApp } from '../../cloud/http/app.ts';
import { createCloudMetrics } from '../../cloud/metrics/cloud-metrics.ts';
import { reports } from '../../cloud/reports/reports.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { applyBatch } from '../../cloud/sync/apply-batch.ts';
import { createEdgeApp } from '../../edge/http/app.ts';
import { conformanceProblems, findOperation } from '../../src/http/openapi/conformance.ts';
import { inputJsonSchema, openApiDocument, outputJsonSchema } from '../../src/http/openapi/document.ts';
import { type ApiDescription, documentPath } from '../../src/http/openapi/operations.ts';
import { apiDescriptionOf } from '../../src/http/openapi/serve.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import {
  createTestEdge,
  outboxMutations,
  seedCatalog,
  seedTillUser,
  type TestEdge,
} from '../helpers/edge.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const ADMIN_TOKEN = 'mpa_openapi_test_token_0123456789abcdef';

/** Routes each app serves that are pages, assets or the documents, not API operations. */
const CLOUD_PAGES = ['GET /', 'GET /admin', 'GET /assets/*', 'GET /docs', 'GET /openapi.json'];
const EDGE_PAGES = ['GET /', 'GET /assets/*', 'GET /docs', 'GET /openapi.json'];

const describedBy = (app: Hono): ApiDescription => {
  const api = apiDescriptionOf(app);
  if (!api) throw new Error('the app serves no OpenAPI document');
  return api;
};

const registeredRoutes = (app: Hono) =>
  [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))].sort();

const documentedRoutes = (api: ApiDescription) =>
  [...new Set(api.operations.map((o) => `${o.method.toUpperCase()} ${o.route}`))].sort();

/** Sends a request, checks the answer against the app's document and notes the operation it answered. */
function checker(app: Hono) {
  const api = describedBy(app);
  const answered = new Set<string>();
  const problems: string[] = [];
  const send = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    // biome-ignore lint/suspicious/noExplicitAny: the walk reads ids out of answers
  ): Promise<{ status: number; body: any; res: Response }> => {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await app.request(path, init);
    const type = res.headers.get('content-type') ?? '';
    const raw = type.startsWith('application/gzip') ? await res.arrayBuffer() : await res.text();
    const parsed =
      typeof raw === 'string' && type.startsWith('application/json') && raw !== '' ? JSON.parse(raw) : raw;
    const found = conformanceProblems(
      api,
      method,
      path,
      res.status,
      type,
      parsed === '' ? undefined : parsed,
    );
    problems.push(...found);
    const op = findOperation(api, method, path);
    if (op && res.status < 300) answered.add(`${op.method.toUpperCase()} ${documentPath(op)}`);
    return { status: res.status, body: parsed, res };
  };
  const unanswered = () =>
    api.operations.map((o) => `${o.method.toUpperCase()} ${documentPath(o)}`).filter((o) => !answered.has(o));
  return { send, problems, unanswered };
}

type Json = Record<string, unknown>;

/** Every `$ref` in the document, to check each resolves. */
function refsOf(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsOf(v, found);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.push(v);
      else refsOf(v, found);
    }
  }
  return found;
}

function checkGenerated(app: Hono, doc: Json): void {
  const api = describedBy(app);
  const paths = doc.paths as Record<string, Record<string, Json>>;
  for (const op of api.operations) {
    const served = paths[documentPath(op)]?.[op.method];
    expect(served, `${op.method} ${op.route}`).toBeDefined();
    const body = served!.requestBody as Json | undefined;
    if (op.body) {
      expect((body!.content as Json)['application/json']).toEqual({ schema: inputJsonSchema(op.body) });
    } else expect(body).toBeUndefined();
    const params = (served!.parameters as Json[] | undefined) ?? [];
    const query = op.query as unknown as { shape?: Record<string, never> } | undefined;
    expect(params.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(
      Object.keys(query?.shape ?? {}),
    );
    for (const [status, r] of Object.entries(op.responses)) {
      const content = (served!.responses as Record<string, Json>)[status]!.content as
        | Record<string, Json>
        | undefined;
      if (r.schema)
        expect(content![r.contentType ?? 'application/json']).toEqual({ schema: outputJsonSchema(r.schema) });
      else expect(content).toBeUndefined();
    }
  }
  for (const ref of refsOf(doc)) {
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, key) => (at as Json | undefined)?.[key], doc);
    expect(target, ref).toBeDefined();
  }
}

async function checkServed(app: Hono): Promise<void> {
  const api = describedBy(app);
  const json = await app.request('/openapi.json');
  expect(json.status).toBe(200);
  expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  const doc = (await json.json()) as Json;
  expect(doc.openapi).toBe('3.1.0');
  expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument(api))));
  checkGenerated(app, doc);

  const page = await app.request('/docs');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(page.headers.get('content-security-policy')).toContain("style-src 'self'");
  const html = await page.text();
  for (const op of api.operations) {
    expect(html).toContain(
      `<code>${op.method.toUpperCase()} ${documentPath(op).replace(/[{}]/g, (c) => c)}</code>`,
    );
  }
  // Everything it loads or links to is this server's own: the stylesheet and the document.
  const refs = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  expect(refs.filter((r) => !r.startsWith('#'))).toEqual(['/assets/pages.css', '/openapi.json']);
  expect(html).not.toMatch(/<script|style="/);
  expect((await app.request('/assets/pages.css')).status).toBe(200);
}

describe('the edge OpenAPI document', () => {
  let edge: TestEdge;
  let app: Hono;

  beforeAll(async () => {
    edge = await createTestEdge();
    seedCatalog(edge.store, {
      products: [{ sku: 'COFFEE-250', name: 'Coffee 250g', priceMinor: 450, barcode: '4001' }],
      branch: { code: 'B01', timeZone: 'Europe/Lisbon' },
    });
    seedCatalog(edge.store, { products: [], branch: { code: 'B02', timeZone: 'Europe/Lisbon' } });
    app = createEdgeApp({ store: edge.store });
  });
  afterAll(() => edge?.destroy());

  it('documents every route the edge registers but its page, assets and documents, and nothing else', () => {
    const registered = registeredRoutes(app);
    expect(registered).toEqual(expect.arrayContaining(EDGE_PAGES));
    expect(documentedRoutes(describedBy(app))).toEqual(registered.filter((r) => !EDGE_PAGES.includes(r)));
  });

  it('serves /openapi.json, generated from the routes’ schemas, and /docs', async () => {
    await checkServed(app);
  });

  it('answers a representative request of every operation as the document describes it', async () => {
    const { send, problems, unanswered } = checker(app);
    const manager = { code: '8001', pin: '135790' };
    await seedTillUser(edge.store, { code: '7001', pin: '246810', name: 'Ana' });
    await seedTillUser(edge.store, { ...manager, name: 'Mo', role: 'manager' });
    const signIn = async () => {
      const res = await send('POST', '/v1/cashier-sessions', { terminal: 'T1', code: '7001', pin: '246810' });
      expect(res.status).toBe(201);
      return { authorization: `Bearer ${res.body.token}` };
    };
    let auth = await signIn();
    const productId = [...edge.store.searchProducts('COFFEE', 1)][0]!.id;

    expect((await send('GET', '/healthz')).status).toBe(200);
    expect((await send('GET', '/metrics')).status).toBe(200);
    expect((await send('GET', '/v1/cashier-sessions/current', undefined, auth)).status).toBe(200);
    expect((await send('GET', '/v1/branch')).status).toBe(200);
    expect((await send('GET', '/v1/products?q=cof&limit=5')).status).toBe(200);
    const lines = [{ sku: 'COFFEE-250', qtyMilli: 2000 }];
    expect((await send('POST', '/v1/carts/quote', { lines })).status).toBe(200);
    const shift = await send('POST', '/v1/shifts', { terminal: 'T1', openingFloatMinor: 5000 }, auth);
    expect(shift.status).toBe(201);
    expect((await send('GET', '/v1/shifts/open?terminal=T1')).status).toBe(200);
    const cashIn = { direction: 'in', amountMinor: 1000, reason: 'Change' };
    expect((await send('POST', `/v1/shifts/${shift.body.id}/cash-movements`, cashIn, auth)).status).toBe(201);
    const saleBody = { terminal: 'T1', lines, payments: [{ method: 'cash', amountMinor: 2000 }] };
    const sale = await send('POST', '/v1/sales', saleBody, auth);
    expect(sale.status).toBe(201);
    expect((await send('POST', '/v1/sales', { ...saleBody, id: sale.body.id }, auth)).status).toBe(200);
    expect((await send('GET', '/v1/sales?limit=10')).status).toBe(200);
    expect((await send('GET', `/v1/sales/${sale.body.id}`)).status).toBe(200);
    expect((await send('GET', `/v1/receipts/${sale.body.receiptNo}`)).status).toBe(200);
    const refundLines = [{ lineNo: 1, qtyMilli: 1000 }];
    const quote = await send('POST', `/v1/sales/${sale.body.id}/refunds/quote`, { lines: refundLines });
    expect(quote.status).toBe(200);
    const payments = [{ method: 'cash', amountMinor: quote.body.totalMinor }];
    const refund = { terminal: 'T1', lines: refundLines, reason: 'Changed mind', payments };
    const refunded = await send('POST', `/v1/sales/${sale.body.id}/refunds`, refund, auth);
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(201);
    const noSale = { terminal: 'T1', reason: 'Float check', approval: manager };
    const opened = await send('POST', '/v1/drawer/no-sale', noSale, auth);
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const stock: [string, object][] = [
      ['receipts', { lines: [{ productId, qtyMilli: 5000, unitCostMinor: 200 }] }],
      ['adjustments', { reason: 'Damaged', lines: [{ productId, deltaQtyMilli: -1000 }] }],
      ['counts', { lines: [{ productId, countedQtyMilli: 3000 }] }],
      ['transfers', { toBranch: 'B02', lines: [{ productId, qtyMilli: 1000 }] }],
    ];
    for (const [path, body] of stock) {
      const res = await send('POST', `/v1/stock/${path}`, body, auth);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(201);
    }
    expect((await send('GET', `/v1/stock?productId=${productId}`)).status).toBe(200);
    expect((await send('GET', '/v1/sync/status')).status).toBe(200);
    expect((await send('GET', `/v1/shifts/${shift.body.id}/x-report`)).status).toBe(200);
    expect((await send('DELETE', '/v1/cashier-sessions/current', undefined, auth)).status).toBe(200);
    auth = await signIn();
    const counted = { counted: [{ method: 'cash', countedMinor: 7550 }] };
    expect((await send('POST', `/v1/shifts/${shift.body.id}/close`, counted, auth)).status).toBe(200);
    const journal = await send('GET', '/v1/journal/verify?terminal=T1');
    expect(journal).toMatchObject({ status: 200, body: { intact: true, chains: [{ links: 5 }] } });
    // Refusals answer the shared error body.
    expect((await send('POST', '/v1/sales', { lines: [] }, auth)).status).toBe(401);
    expect((await send('GET', '/v1/no-such-route')).status).toBe(404);

    expect(problems).toEqual([]);
    expect(unanswered()).toEqual([]);
  });
});

describe('the cloud OpenAPI document', () => {
  let p: TestPlatform;
  let resolver: TenantResolver;
  let app: Hono;

  beforeAll(async () => {
    p = await createTestPlatform('embedded');
    resolver = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      maxPools: 3,
      poolSize: 1,
    });
    app = createCloudApp({
      tenants: p.tenants,
      adminToken: ADMIN_TOKEN,
      metrics: createCloudMetrics({ tenants: p.tenants, resolver }),
      resolver,
    });
  }, 120_000);
  afterAll(async () => {
    await resolver?.close();
    await p?.destroy();
  });

  it('documents every route the cloud registers but its pages, assets and documents, and nothing else', () => {
    const registered = registeredRoutes(app);
    expect(registered).toEqual(expect.arrayContaining(CLOUD_PAGES));
    expect(documentedRoutes(describedBy(app))).toEqual(registered.filter((r) => !CLOUD_PAGES.includes(r)));
    // Each report is its own operation, with its own query.
    const reportOps = describedBy(app).operations.filter((o) => o.route === '/v1/reports/:name');
    expect(reportOps.map((o) => o.fixed?.name).sort()).toEqual(Object.keys(reports).sort());
  });

  it('serves /openapi.json, generated from the routes’ schemas, and /docs', async () => {
    await checkServed(app);
  });

  it('answers a representative request of every operation as the document describes it', async () => {
    const { send, problems, unanswered } = checker(app);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const orgId = uniqueId('oa');

    expect((await send('GET', '/healthz')).status).toBe(200);
    expect((await send('GET', '/readyz')).status).toBe(200);
    expect((await send('GET', '/metrics', undefined, admin)).status).toBe(200);
    const onboarded = await send('POST', '/admin/tenants', { orgId, name: 'Docs', currency: 'EUR' }, admin);
    expect(onboarded.status).toBe(201);
    expect((await send('GET', '/admin/tenants', undefined, admin)).status).toBe(200);
    expect((await send('GET', `/admin/tenants/${orgId}`, undefined, admin)).status).toBe(200);
    expect((await send('POST', `/admin/tenants/${orgId}/migrate`, undefined, admin)).status).toBe(200);
    expect((await send('GET', '/admin/reports/tenants', undefined, admin)).status).toBe(200);
    const clusters = await send('GET', '/admin/clusters', undefined, admin);
    expect(clusters.status).toBe(200);
    const cluster = clusters.body.clusters[0].name as string;
    expect((await send('GET', `/admin/clusters/${cluster}`, undefined, admin)).status).toBe(200);

    // HQ: the owner logs in and fills the catalog.
    const login = { email: onboarded.body.ownerEmail, password: onboarded.body.ownerPassword };
    const session = await send('POST', `/v1/orgs/${orgId}/sessions`, login);
    expect(session.status).toBe(201);
    const hq = { authorization: `Bearer ${session.body.token}` };
    const ok = async (method: string, path: string, body?: unknown, status = 200) => {
      const res = await send(method, path, body, hq);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
      return res.body;
    };
    await ok('GET', '/v1/session');
    await ok('POST', '/v1/branches', { code: 'SIDE', name: 'Side', timeZone: 'Europe/Berlin' }, 201);
    await ok('PATCH', '/v1/branches/SIDE', { name: 'Side street' });
    await ok('GET', '/v1/branches');
    const rate = await ok('POST', '/v1/tax-rates', { name: 'VAT', rateBp: 1900, inclusive: true }, 201);
    await ok('PATCH', `/v1/tax-rates/${rate.id}`, { name: 'Standard' });
    await ok('GET', '/v1/tax-rates');
    const product = await ok(
      'POST',
      '/v1/products',
      { sku: 'TEA', name: 'Tea', priceMinor: 300, taxRateId: rate.id },
      201,
    );
    await ok('PATCH', `/v1/products/${product.id}`, { name: 'Green tea' });
    await ok('GET', '/v1/products');
    await ok('POST', '/v1/prices', { productId: product.id, branchCode: 'MAIN', priceMinor: 350 }, 201);
    const user = await ok('POST', '/v1/users', { name: 'Cal', pin: '2468' }, 201);
    await ok('PATCH', `/v1/users/${user.id}`, { name: 'Cal II' });
    await ok('GET', '/v1/users');
    const device = await ok('POST', '/v1/devices', { branch: 'MAIN', name: 'Till' }, 201);
    await ok('GET', '/v1/devices');
    const at = { branch: 'MAIN' };
    await ok(
      'POST',
      '/v1/stock/receipts',
      { ...at, lines: [{ productId: product.id, qtyMilli: 5000, unitCostMinor: 120 }] },
      201,
    );
    await ok(
      'POST',
      '/v1/stock/adjustments',
      { ...at, reason: 'Damaged', lines: [{ productId: product.id, deltaQtyMilli: -1000 }] },
      201,
    );
    await ok(
      'POST',
      '/v1/stock/counts',
      { ...at, lines: [{ productId: product.id, countedQtyMilli: 3000 }] },
      201,
    );
    await ok(
      'POST',
      '/v1/stock/transfers',
      { ...at, toBranch: 'SIDE', lines: [{ productId: product.id, qtyMilli: 1000 }] },
      201,
    );
    await ok('PUT', '/v1/stock/reorder-levels', { ...at, productId: product.id, levelMilli: 2000 });
    await ok('GET', '/v1/stock?branch=MAIN');

    // A sale a till recorded (a real edge store) and pushed, and one mutation the cloud refused into
    // the quarantine.
    let saleMutation: Mutation | undefined;
    const till = await createTestEdge({
      identity: { branch: 'MAIN', currency: 'EUR', timeZone: 'Europe/Berlin' },
    });
    try {
      seedCatalog(till.store, {
        products: [{ id: product.id, sku: 'TEA', priceMinor: 350, taxRateBp: 1900, taxInclusive: true }],
      });
      const recorded = till.store.sales.recordSale({
        terminal: 'T1',
        cashier: 'Cal',
        lines: [{ sku: 'TEA', qtyMilli: 1000 }],
        payments: [{ method: 'card', amountMinor: 350 }],
      });
      expect(recorded.ok).toBe(true);
      saleMutation = outboxMutations(till.store)[0];
    } finally {
      till.destroy();
    }
    const saleId = (saleMutation!.payload as { id: string }).id;
    const pushed = await resolver.withTenant(orgId, (db) =>
      applyBatch(db, {
        deviceId: device.deviceId,
        scope: { branchCode: 'MAIN', currency: 'EUR' },
        mutations: [
          saleMutation!,
          { seq: 2, id: 'm-2', kind: 'sale', payload: { nonsense: true } } as Mutation,
        ],
      }),
    );
    expect(pushed.ok && pushed.results.map((r) => r.status), JSON.stringify(pushed)).toEqual([
      'applied',
      'rejected',
    ]);
    const deviceAuth = { authorization: `Bearer ${device.token}` };
    expect((await send('GET', `/v1/device/sales/${saleId}`, undefined, deviceAuth)).status).toBe(200);
    const receiptNo = (saleMutation!.payload as { receiptNo: string }).receiptNo;
    const byReceipt = await send('GET', `/v1/device/receipts/${receiptNo}`, undefined, deviceAuth);
    expect(byReceipt.status).toBe(200);
    expect((await send('GET', '/v1/device/receipts/MAIN-T1-999999', undefined, deviceAuth)).status).toBe(404);
    const quarantine = await ok('GET', '/v1/sync/quarantine?unresolved=true');
    const qid = quarantine.quarantine[0].id as string;
    // As stored it is refused again (an error body); discarded with a reason.
    expect((await send('POST', `/v1/sync/quarantine/${qid}/replay`, {}, hq)).status).toBe(409);
    await ok('POST', `/v1/sync/quarantine/${qid}/discard`, { reason: 'test data' }, 204);

    for (const name of Object.keys(reports)) await ok('GET', `/v1/reports/${name}`);
    await ok('GET', '/v1/sales-overview');
    // The journal of a terminal that recorded without one: an empty export (test/integration/journal-*.test.ts).
    const journal = await send('GET', '/v1/journal?terminal=T1', undefined, hq);
    expect(journal.status).toBe(200);
    expect(journal.res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const csv = await send('GET', '/v1/reports/sales', undefined, { ...hq, accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.res.headers.get('content-type')).toMatch(/^text\/csv/);

    await ok('DELETE', `/v1/devices/${device.deviceId}`);
    await ok('DELETE', '/v1/session', undefined, 204);

    // The operator's backup, restore (as a new tenant), export and offboard.
    const backup = await send('POST', `/admin/tenants/${orgId}/backup`, undefined, admin);
    expect(backup.status).toBe(201);
    const copy = uniqueId('ob');
    const restored = await send(
      'POST',
      `/admin/tenants/${orgId}/restore`,
      { file: backup.body.file, as: copy },
      admin,
    );
    expect(restored.status, JSON.stringify(restored.body)).toBe(201);
    const exported = await send('GET', `/admin/tenants/${copy}/export`, undefined, admin);
    expect(exported.status).toBe(200);
    expect((await send('POST', `/admin/tenants/${copy}/offboard`, { confirm: true }, admin)).status).toBe(
      200,
    );
    expect((await send('POST', `/admin/clusters/${cluster}/drain`, undefined, admin)).status).toBe(200);
    expect((await send('POST', `/admin/clusters/${cluster}/undrain`, undefined, admin)).status).toBe(200);
    // Refusals answer the shared error body.
    expect((await send('GET', '/admin/tenants', undefined, {})).status).toBe(401);
    expect((await send('POST', `/admin/tenants/${orgId}/move`, { to: 'nowhere' }, admin)).status).toBe(404);
    expect((await send('GET', '/v1/no-such-route')).status).toBe(404);

    expect(problems).toEqual([]);
    // What this walk does not reach with a success, each answered above or in its own suite:
    // moving a tenant and adding or removing a cluster need a second PostgreSQL cluster
    // (test/integration/tenant-move.test.ts, clusters-admin-api.test.ts); a replay that applies needs
    // a corrected payload (hq-sessions.test.ts).
    expect(unanswered().sort()).toEqual(
      [
        'POST /admin/tenants/{orgId}/move',
        'POST /admin/clusters',
        'DELETE /admin/clusters/{name}',
        'POST /v1/sync/quarantine/{id}/replay',
      ].sort(),
    );
  }, 180_000);
});
