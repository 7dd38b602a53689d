// Issue 6's two HQ matrices, on every engine.
// 1. Tenant isolation: every /v1 route Hono has registered (the table is checked against app.routes,
//    so a new route cannot be left out; reports by every name in `reports`) is called with each
//    credential tenant A has (its owner's session, a device token of A, the operator's admin token, a
//    cashier session signed in at an edge of A) and with none, a garbage one and A's session secret spliced under B's org id, aimed at tenant B
//    by B's real ids. Only A's own session gets past authentication, and it meets A's database, where
//    B's ids are 404. No answer carries anything of B's that the request did not name itself, and B's
//    database is unchanged (every row of every table digested). A's owner at B's login: 401.
// 2. Bad input: every write route, given malformed JSON, a non-object, missing, mistyped, unknown,
//    empty, over-long or control-character fields, bad money or a wrong content type, answers 400
//    invalid_input whose details name the field; a body over the limit answers 413; a path id with a
//    control character answers 404. None writes anything (every row of every table of A digested).
//    Each route's base body, sent as is, is accepted: every refusal is about the one thing made bad.
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { createBranch, createTaxRate } from '../../cloud/catalog/reference-data.ts';
import { createUser } from '../../cloud/catalog/users.ts';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { createCloudApp } from '../../cloud/http/app.ts';
import { createCloudMetrics } from '../../cloud/metrics/cloud-metrics.ts';
import { reports } from '../../cloud/reports/reports.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { applyBatch } from '../../cloud/sync/apply-batch.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { createEdgeApp } from '../../edge/http/app.ts';
import type { ClosableSqlDatabase, SqlDatabase } from '../../src/db/sql.ts';
import { MAX_AMOUNT_MINOR, MAX_QTY_MILLI } from '../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { call, cashierAt, createTestEdge, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const ADMIN_TOKEN = 'mpa_matrix_admin_token_0123456789abcdef';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every table of a tenant database as `rows:md5 of its rows`: any insert, update or delete shows. */
async function digest(db: SqlDatabase): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
  );
  const each = tables.map(
    ({ name }) => `SELECT '${name}' AS name, count(*) || ':' ||
      coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS state FROM "${name}" t`,
  );
  const rows = await db.query<{ name: string; state: string }>(each.join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.name, r.state]));
}

/** A tenant by the ids the matrices aim at. */
interface Tenant {
  orgId: string;
  owner: { email: string; password: string };
  branchCode: string;
  taxRateId: string;
  productId: string;
  userId: string;
  deviceId: string;
  deviceToken: string;
  quarantineId: string;
}

/** Seeds a tenant through the services HQ uses, with one quarantined mutation; B's names are found nowhere else. */
async function seed(db: SqlDatabase, orgId: string, owner: Tenant['owner'], isB: boolean): Promise<Tenant> {
  const ctx = { db, actor: owner.email };
  const [branchCode, taxRateName, sku, productName, cashier, till, mutationId] = isB
    ? ['ZQB7', 'Quokka Levy', 'QKW-0451', 'Quokka Widget Deluxe', 'Xerxes Quokkason', 'Yodel Till', 'zebra-b']
    : ['MAIN', 'Reduced', 'TEA', 'Tea', 'Cal', 'Till', 'm-a'];
  if (isB) await createBranch(ctx, { code: branchCode, name: 'Zanzibar Outpost', timeZone: 'Asia/Tokyo' });
  // A second branch of A's own, for stock transfers.
  else await createBranch(ctx, { code: 'SIDE', name: 'Side', timeZone: 'Europe/Berlin' });
  const taxRateId = (await createTaxRate(ctx, { name: taxRateName, rateBp: 1234, inclusive: true })).id;
  const product = await createProduct(ctx, { sku, name: productName, priceMinor: 4242, taxRateId });
  const user = await createUser(ctx, { role: 'cashier', name: cashier, pin: '9753' });
  const device = await registerDevice({ db, orgId, actor: owner.email }, { branch: branchCode, name: till });
  const mutation = { seq: 1, id: mutationId, kind: 'sale', payload: { nonsense: `${mutationId}-payload` } };
  const scope = { branchCode, currency: 'EUR' };
  await applyBatch(db, { deviceId: device.deviceId, scope, mutations: [mutation] });
  const [q] = await db.query<{ id: string }>('SELECT id FROM sync_quarantine');
  const { deviceId, token: deviceToken } = device;
  const ids = { taxRateId, productId: product.id, userId: user.id, deviceId, quarantineId: q!.id };
  return { orgId, owner, branchCode, deviceToken, ...ids };
}

/** Where a route's path parameter takes its id from. */
const idIn = (t: Tenant): Record<string, string> => ({
  orgs: t.orgId,
  branches: t.branchCode,
  'tax-rates': t.taxRateId,
  products: t.productId,
  users: t.userId,
  devices: t.deviceId,
  quarantine: t.quarantineId,
});
/** A route's path with its parameter filled in with `t`'s id (`/v1/products/:id` → B's product). */
const pathOf = (route: string, t: Tenant) =>
  route.split(' ')[1]!.replace(/([a-z-]+)\/:\w+/, (_, things: string) => `${things}/${idIn(t)[things]}`);

/** A stock document's body at `t`'s branch. */
const stockAt = (t: Tenant, body: object) => ({ branch: t.branchCode, ...body });

/** [route as registered, what A's owner gets (every other credential: 401), body, path if not pathOf]. */
type Aimed = [route: string, owner: number, body?: unknown, path?: string];

/** Every /v1 route, aimed at B wherever it takes an id or a reference. */
const aimedAt = (b: Tenant, a: Tenant): Aimed[] => [
  ['POST /v1/orgs/:orgId/sessions', 401, a.owner],
  ['GET /v1/session', 200],
  ['GET /v1/branches', 200],
  ['POST /v1/branches', 201, { code: 'MTX', name: 'Matrix', timeZone: 'UTC' }],
  ['PATCH /v1/branches/:code', 404, { name: 'Taken' }],
  ['GET /v1/tax-rates', 200],
  ['POST /v1/tax-rates', 201, { name: 'Matrix', rateBp: 500, inclusive: false }],
  ['PATCH /v1/tax-rates/:id', 404, { rateBp: 1 }],
  ['GET /v1/products', 200],
  // B's tax rate is no tax rate of A's: refused as bad input.
  ['POST /v1/products', 400, { sku: 'MTX', name: 'M', priceMinor: 1, taxRateId: b.taxRateId }],
  ['PATCH /v1/products/:id', 404, { active: false }],
  ['POST /v1/prices', 404, { productId: b.productId, branchCode: b.branchCode, priceMinor: 1 }],
  ['GET /v1/users', 200],
  ['POST /v1/users', 201, { name: 'Matrix cashier', pin: '1357' }],
  ['PATCH /v1/users/:id', 404, { active: false }],
  ['GET /v1/devices', 200],
  ['POST /v1/devices', 404, { branch: b.branchCode, name: 'Hijack' }],
  ['DELETE /v1/devices/:id', 404],
  ['GET /v1/sync/quarantine', 200, undefined, '/v1/sync/quarantine?unresolved=false'],
  ['POST /v1/sync/quarantine/:id/replay', 404, {}],
  ['POST /v1/sync/quarantine/:id/discard', 404, { reason: 'x' }],
  // Stock at B's branch and of B's product names nothing in A's database: 404.
  [
    'POST /v1/stock/receipts',
    404,
    stockAt(b, { lines: [{ productId: b.productId, qtyMilli: 1, unitCostMinor: 1 }] }),
  ],
  [
    'POST /v1/stock/adjustments',
    404,
    stockAt(b, { reason: 'x', lines: [{ productId: b.productId, deltaQtyMilli: 1 }] }),
  ],
  ['POST /v1/stock/counts', 404, stockAt(b, { lines: [{ productId: b.productId, countedQtyMilli: 1 }] })],
  [
    'POST /v1/stock/transfers',
    404,
    stockAt(a, { toBranch: b.branchCode, lines: [{ productId: a.productId, qtyMilli: 1 }] }),
  ],
  ['PUT /v1/stock/reorder-levels', 404, { branch: b.branchCode, productId: b.productId, levelMilli: 1 }],
  ['GET /v1/stock', 200, undefined, `/v1/stock?branch=${b.branchCode}`],
  ...Object.keys(reports).map((name): Aimed => {
    return ['GET /v1/reports/:name', 404, undefined, `/v1/reports/${name}?branch=${b.branchCode}`];
  }),
  ['GET /v1/sales-overview', 404, undefined, `/v1/sales-overview?branch=${b.branchCode}`],
  // A's chains of B's branch: none, an empty export.
  ['GET /v1/journal', 200, undefined, `/v1/journal?terminal=T1&branch=${b.branchCode}`],
  ['DELETE /v1/session', 204], // last: it ends A's session
];

// Bad values by kind of field, by what makes each bad.
type Bad = Record<string, unknown>;
const control: Bad = {
  NUL: 'a\u0000b',
  'a control character': 'a\u0007b',
  'a C1 control character': 'a\u0085b',
  'half a surrogate pair': 'a\ud800b',
};
const text = (max: number): Bad => ({
  number: 42,
  empty: '',
  blank: '  ',
  'too long': 'x'.repeat(max + 1),
  ...control,
});
const ref: Bad = { number: 42, empty: '', 'too long': 'x'.repeat(65), ...control };
const code: Bad = { number: 7, empty: '', 'lower case': 'main', 'too long': 'X'.repeat(17), NUL: 'A\u0000' };
const money: Bad = {
  negative: -1,
  fraction: 1.5,
  'over 2^53': 2 ** 53 + 2,
  'over the bound (10^12 + 1)': MAX_AMOUNT_MINOR + 1,
  string: '100',
  null: null,
};
const rateBp: Bad = { negative: -1, fraction: 0.5, 'over 1000 %': 100_001, string: '1900' };
const bool: Bad = { string: 'yes', number: 1, null: null };
const zone: Bad = { unknown: 'Mars/Base', number: 42, empty: '' };
const pin: Bad = { 'too short': '12', letters: 'abcd', number: 1234 };
const email: Bad = { 'not an email': 'nobody', number: 42, NUL: 'a\u0000@b.example' };
const password: Bad = { 'too short': 'short', number: 42, 'too long': 'x'.repeat(201) };
const date: Bad = {
  'not a date': 'yesterday',
  'without offset': '2026-01-01T00:00:00',
  number: 0,
  // Both were 500s from Postgres: year 0 does not exist, and an offset is within ±15:59.
  'year 0000': '0000-01-01T00:00:00Z',
  'offset +23:59': '2026-01-01T00:00:00+23:59',
  'offset +14:01': '2026-01-01T00:00:00+14:01',
  'year 1999': '1999-12-31T23:59:59Z',
  'year 2101': '2101-01-01T00:00:00Z',
};
const sale: Bad = {
  'no sale': { nonsense: true },
  string: 'sale',
  null: null,
  'lines a string': { lines: 'x' },
};

/** Bad `lines` of a stock document: the array itself, and one line made bad by `bad`'s fields. */
function stockLines(line: object, bad: Record<string, object>): Bad {
  return {
    string: 'x',
    empty: [],
    'over 500 lines': Array.from({ length: 501 }, (_, i) => ({ ...line, productId: `p${i}` })),
    'a product twice': [line, line],
    'a product id with NUL': [{ ...line, productId: 'p\u0000' }],
    'a product id over 64': [{ ...line, productId: 'p'.repeat(65) }],
    ...Object.fromEntries(Object.entries(bad).map(([what, fields]) => [what, [{ ...line, ...fields }]])),
  };
}

/** What each write route's base body gets, and the body: every field of a POST's is required. */
const writesOf = (a: Tenant): Record<string, [accepts: number, valid: object]> => ({
  'POST /v1/orgs/:orgId/sessions': [201, a.owner],
  'POST /v1/branches': [201, { code: 'NEWB', name: 'New', timeZone: 'Europe/Berlin' }],
  'PATCH /v1/branches/:code': [200, { name: 'Renamed' }],
  'POST /v1/tax-rates': [201, { name: 'VAT', rateBp: 1900, inclusive: true }],
  'PATCH /v1/tax-rates/:id': [200, { name: 'Zero' }],
  'POST /v1/products': [201, { sku: 'NEW-1', name: 'New', priceMinor: 100 }],
  'PATCH /v1/products/:id': [200, { name: 'Green tea' }],
  'POST /v1/prices': [201, { productId: a.productId, priceMinor: 350 }],
  'POST /v1/users': [201, { name: 'New cashier', pin: '2468' }],
  'PATCH /v1/users/:id': [200, { name: 'Cal II' }],
  'POST /v1/devices': [201, { branch: a.branchCode, name: 'Till 2' }],
  // As stored, the quarantined mutation is refused again: 409; a corrected payload that is no sale is bad input.
  'POST /v1/sync/quarantine/:id/replay': [409, {}],
  'POST /v1/sync/quarantine/:id/discard': [204, { reason: 'test data' }],
  'POST /v1/stock/receipts': [
    201,
    stockAt(a, { lines: [{ productId: a.productId, qtyMilli: 1000, unitCostMinor: 120 }] }),
  ],
  'POST /v1/stock/adjustments': [
    201,
    stockAt(a, { reason: 'Damaged', lines: [{ productId: a.productId, deltaQtyMilli: -1000 }] }),
  ],
  'POST /v1/stock/counts': [201, stockAt(a, { lines: [{ productId: a.productId, countedQtyMilli: 5000 }] })],
  'POST /v1/stock/transfers': [
    201,
    stockAt(a, { toBranch: 'SIDE', lines: [{ productId: a.productId, qtyMilli: 1000 }] }),
  ],
  'PUT /v1/stock/reorder-levels': [200, { branch: a.branchCode, productId: a.productId, levelMilli: 2000 }],
});

/** Bad values for each field of each write route. */
const badFields: Record<string, Record<string, Bad>> = {
  'POST /v1/orgs/:orgId/sessions': {
    email: { blank: '  ', number: 42, 'too long': `${'x'.repeat(250)}@a.example`, ...control },
    password: { empty: '', number: 42, 'too long': 'x'.repeat(201) },
  },
  'POST /v1/branches': { code, name: text(200), timeZone: zone },
  'PATCH /v1/branches/:code': { name: text(200), timeZone: zone, active: bool },
  'POST /v1/tax-rates': { name: text(100), rateBp, inclusive: bool, isDefault: bool },
  'PATCH /v1/tax-rates/:id': { name: text(100), rateBp, inclusive: bool },
  'POST /v1/products': {
    ...{ sku: text(64), name: text(200), priceMinor: money },
    ...{ taxRateId: ref, barcode: text(64), category: text(100) },
  },
  'PATCH /v1/products/:id': {
    name: text(200),
    taxRateId: ref,
    barcode: text(64),
    category: text(100),
    active: bool,
  },
  'POST /v1/prices': { productId: ref, priceMinor: money, branchCode: code, effectiveFrom: date },
  'POST /v1/users': { name: text(200), pin, email, role: { owner: 'owner', unknown: 'chef' } },
  'PATCH /v1/users/:id': { name: text(200), pin, password, active: bool },
  'POST /v1/devices': { branch: code, name: text(120) },
  'POST /v1/sync/quarantine/:id/replay': { payload: sale },
  'POST /v1/sync/quarantine/:id/discard': { reason: text(500) },
  'POST /v1/stock/receipts': {
    branch: code,
    note: text(500),
    occurredAt: { ...date, 'in the future': '2099-01-01T00:00:00Z' },
    lines: stockLines(
      { productId: 'p', qtyMilli: 1000, unitCostMinor: 1 },
      {
        'no quantity': { qtyMilli: 0 },
        'quantity over the bound': { qtyMilli: MAX_QTY_MILLI + 1 },
        'negative cost': { unitCostMinor: -1 },
        'fractional cost': { unitCostMinor: 1.5 },
        'cost over the bound': { unitCostMinor: MAX_AMOUNT_MINOR + 1 },
        'a line worth over 10^12': { qtyMilli: MAX_QTY_MILLI, unitCostMinor: 1_000_001 },
      },
    ),
  },
  'POST /v1/stock/adjustments': {
    branch: code,
    reason: text(500),
    lines: stockLines(
      { productId: 'p', deltaQtyMilli: 1 },
      {
        'a zero delta': { deltaQtyMilli: 0 },
        'a delta over the bound': { deltaQtyMilli: -MAX_QTY_MILLI - 1 },
        'a fractional delta': { deltaQtyMilli: 0.5 },
      },
    ),
  },
  'POST /v1/stock/counts': {
    branch: code,
    note: text(500),
    lines: stockLines(
      { productId: 'p', countedQtyMilli: 1 },
      {
        'a negative count': { countedQtyMilli: -1 },
        'a count over the bound': { countedQtyMilli: MAX_QTY_MILLI + 1 },
      },
    ),
  },
  'POST /v1/stock/transfers': {
    branch: code,
    toBranch: { ...code, 'the same branch': 'MAIN' },
    note: text(500),
    lines: stockLines(
      { productId: 'p', qtyMilli: 1000 },
      { 'no quantity': { qtyMilli: 0 }, 'a negative quantity': { qtyMilli: -1000 } },
    ),
  },
  'PUT /v1/stock/reorder-levels': {
    branch: code,
    productId: ref,
    levelMilli: { negative: -1, fraction: 0.5, 'over the bound': MAX_QTY_MILLI + 1, string: '1000' },
  },
};

interface BadInput {
  what: string;
  body: unknown;
  type?: string;
  /** The detail path the refusal must name (none: only the message can say what is wrong). */
  names?: string;
}

/** Each bad request of a write route. */
function badInputs(route: string, valid: object): BadInput[] {
  const required = route.startsWith('POST') ? Object.keys(valid) : [];
  return [
    { what: 'malformed JSON', body: '{"name":' },
    { what: 'an empty body', body: '' },
    { what: 'an array', body: '[]', names: 'body' },
    { what: 'a string', body: '"hello"', names: 'body' },
    { what: 'null', body: 'null', names: 'body' },
    { what: 'an unknown field', body: { ...valid, bogus: 1 }, names: 'bogus' },
    // Named escaped: the raw key (NUL, ESC) is never echoed into answers, logs or reasons.
    {
      what: 'an unknown field with NUL and ESC in its name',
      body: { ...valid, 'bo\u0000g\u001bus': 1 },
      names: 'bo\\u0000g\\u001bus',
    },
    { what: 'text/plain', body: JSON.stringify(valid), type: 'text/plain', names: 'content-type' },
    { what: 'a form', body: 'name=x', type: 'application/x-www-form-urlencoded', names: 'content-type' },
    ...required.map((field) => {
      const { [field]: _, ...rest } = valid as Record<string, unknown>;
      return { what: `no ${field}`, body: rest, names: field };
    }),
    ...Object.entries(badFields[route]!).flatMap(([field, values]) =>
      Object.entries(values).map(([what, value]) => {
        return { what: `${field}: ${what}`, body: { ...valid, [field]: value }, names: field };
      }),
    ),
  ];
}

describe.each(engineNames)('HQ matrices on %s', (engine) => {
  let p: TestPlatform;
  let resolver: TenantResolver;
  let app: Hono;
  let dbA: ClosableSqlDatabase;
  let dbB: ClosableSqlDatabase;
  let a: Tenant;
  let b: Tenant;
  /** Everything of B's an answer to A must never carry, unless the request named it itself. */
  let secretsOfB: string[];
  /** An edge of A, where a cashier signed in: the session's headers (worthless at the cloud). */
  let edgeOfA: TestEdge;
  let cashierSession: Record<string, string>;

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const [orgA, orgB] = [uniqueId('a'), uniqueId('b')];
    const ta = await onboardTenant(p.tenants, { orgId: orgA, name: 'Alpha', currency: 'EUR' });
    const tb = await onboardTenant(p.tenants, {
      orgId: orgB,
      name: 'Quokka Holdings',
      ownerEmail: 'boss@quokka-b.example',
      currency: 'EUR',
    });
    dbA = p.engine.openDatabase(tenantDatabaseName(orgA));
    dbB = p.engine.openDatabase(tenantDatabaseName(orgB));
    a = await seed(dbA, orgA, { email: ta.ownerEmail, password: ta.ownerPassword }, false);
    b = await seed(dbB, orgB, { email: tb.ownerEmail, password: tb.ownerPassword }, true);
    const { owner, orgId, deviceToken, ...ids } = b;
    secretsOfB = [orgId, owner.email, owner.password, deviceToken, ...Object.values(ids)];
    secretsOfB.push('Quokka', 'Zanzibar', 'Xerxes', 'Yodel', 'zebra', 'QKW-0451');
    edgeOfA = await createTestEdge({ identity: { orgId: orgA, branch: 'MAIN', currency: 'EUR' } });
    cashierSession = await cashierAt(createEdgeApp({ store: edgeOfA.store }), edgeOfA.store);
    resolver = createTenantResolver({ control: p.control, engine: p.engine, keyring: p.tenants.keyring });
    const metrics = createCloudMetrics({ tenants: p.tenants, resolver });
    app = createCloudApp({
      tenants: p.tenants,
      adminToken: ADMIN_TOKEN,
      metrics,
      resolver,
    });
  });
  afterAll(async () => {
    edgeOfA?.destroy();
    await dbA?.close();
    await dbB?.close();
    await resolver?.close();
    await p?.destroy();
  });

  const login = async (t: Tenant): Promise<string> => {
    const res = await call(app, 'POST', `/v1/orgs/${t.orgId}/sessions`, t.owner);
    expect(res.status).toBe(201);
    return res.body.token;
  };
  const send = (route: string, path: string, body: unknown, headers: Record<string, string>) =>
    call(app, route.split(' ')[0]!, path, body, headers);

  it('covers every HQ /v1 route Hono has registered, every write route, and the tables named in the issue', async () => {
    // Device routes take a device token, not an HQ session: their tenant isolation is tested with
    // devices of two tenants (test/integration/refund-any-till.test.ts, refund-by-receipt.test.ts).
    const registered = app.routes.filter(
      (r) => r.path.startsWith('/v1') && !r.path.startsWith('/v1/device/') && r.method !== 'ALL',
    );
    const all = [...new Set(registered.map((r) => `${r.method} ${r.path}`))].sort();
    expect([...new Set(aimedAt(b, a).map(([route]) => route))].sort()).toEqual(all);
    const writes = all.filter((r) => /^(POST|PUT|PATCH) /.test(r));
    expect(Object.keys(writesOf(a)).sort()).toEqual(writes);
    expect(Object.keys(badFields).sort()).toEqual(writes);
    const tables = ['change_log', 'audit_logs', 'products', 'prices', 'branches', 'tax_rates', 'users'];
    tables.push('devices', 'sync_quarantine', 'hq_sessions', 'sales', 'settings', 'roles', 'terminals');
    expect(Object.keys(await digest(dbB))).toEqual(expect.arrayContaining(tables));
  });

  it.each([
    'a device token of A',
    'a cashier session signed in at an edge of A',
    'the admin token',
    'no token',
    'a garbage token',
    "A's session secret spliced under B's org id",
    "A's owner session", // last: the matrix ends with it logging out
  ])('keeps B out of reach of %s on every route', async (credential) => {
    const token = await login(a);
    const headers = {
      'a device token of A': bearer(a.deviceToken),
      'a cashier session signed in at an edge of A': cashierSession,
      'the admin token': bearer(ADMIN_TOKEN),
      'no token': {},
      'a garbage token': bearer('garbage'),
      "A's session secret spliced under B's org id": bearer(
        `mph_${b.orgId}_${token.slice(a.orgId.length + 5)}`,
      ),
      "A's owner session": bearer(token),
    }[credential]!;
    const isOwner = credential === "A's owner session";
    const before = await digest(dbB);
    const failures: string[] = [];
    for (const [route, owner, body, path = pathOf(route, b)] of aimedAt(b, a)) {
      const res = await send(route, path, body, headers);
      const expected = isOwner ? owner : 401;
      const got = `${route} (${path}): ${res.status} ${JSON.stringify(res.body)}`;
      if (res.status !== expected || (expected === 401 && res.body?.error?.code !== 'unauthorized')) {
        failures.push(`${got}, expected ${expected}`);
      }
      const asked = `${path} ${JSON.stringify(body)}`.toLowerCase();
      const answer = JSON.stringify(res.body ?? '').toLowerCase();
      for (const s of secretsOfB.map((x) => x.toLowerCase())) {
        if (!asked.includes(s) && answer.includes(s)) failures.push(`${got} carries B's ${s}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await digest(dbB)).toEqual(before);
  });

  it("lets B's own session in, so every refusal above is about the credential", async () => {
    const res = await call(app, 'GET', '/v1/products', undefined, bearer(await login(b)));
    expect(res.body.products).toEqual([
      expect.objectContaining({ id: b.productId, name: 'Quokka Widget Deluxe' }),
    ]);
  });

  it('refuses bad input on every write route with 400 invalid_input naming the field, and writes nothing', async () => {
    const auth = bearer(await login(a));
    const before = await digest(dbA);
    const failures: string[] = [];
    let cases = 0;
    const check = async (what: string, res: { status: number; body: unknown }, ok: boolean) => {
      cases++;
      if (!ok) failures.push(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      const after = await digest(dbA);
      const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
      if (changed.length > 0) failures.push(`${what} wrote ${changed.join(', ')}`);
      Object.assign(before, after);
    };
    for (const [route, [, valid]] of Object.entries(writesOf(a))) {
      const path = pathOf(route, a);
      for (const bad of badInputs(route, valid)) {
        const res = await send(route, path, bad.body, {
          ...auth,
          ...(bad.type && { 'content-type': bad.type }),
        });
        const details: { path: string; message: string }[] = [res.body?.error?.details ?? []].flat();
        const named = (d: { path: string; message: string }) =>
          d.path === bad.names || d.path.startsWith(`${bad.names}.`) || d.message.includes(`"${bad.names}"`);
        const ok = res.status === 400 && res.body?.error?.code === 'invalid_input';
        await check(`${route} with ${bad.what}`, res, ok && (bad.names === undefined || details.some(named)));
      }
      const huge = await send(route, path, { ...valid, name: 'x'.repeat(1024 * 1024) }, auth);
      await check(`${route} with 1 MiB`, huge, huge.status === 413 && huge.body?.error?.code === 'too_large');
    }
    // A path id with a control character names nothing (and Postgres refuses NUL in text).
    for (const [route, , body] of aimedAt(a, a).filter(([r]) => /\/:(id|code)/.test(r))) {
      const res = await send(route, route.split(' ')[1]!.replace(/:\w+/, 'x%00y'), body, auth);
      await check(`${route} with NUL in its id`, res, res.status === 404);
    }
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(250);
  });

  it('accepts each write route’s base body, so every refusal above was about the one bad part', async () => {
    const auth = bearer(await login(a));
    const statuses = [];
    for (const [route, [accepts, valid]] of Object.entries(writesOf(a))) {
      statuses.push([route, (await send(route, pathOf(route, a), valid, auth)).status, accepts]);
    }
    expect(statuses.filter(([, got, accepts]) => got !== accepts)).toEqual([]);
  });
});
