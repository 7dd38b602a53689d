// Catalog writes on every engine: the row, its change-log entry and a tenant audit entry in one
// transaction; bad input writes nothing; cursors only ever grow. The services take input already
// parsed (the HQ routes parse the body with the catalog schemas), so a refusal of the input's shape
// is checked here by parsing with the route's schema first, as the route does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createProduct, setPrice, updateProduct } from '../../cloud/catalog/products.ts';
import {
  createBranch,
  createTaxRate,
  updateBranch,
  updateTaxRate,
} from '../../cloud/catalog/reference-data.ts';
import {
  branchChangesSchema,
  branchInputSchema,
  parseUserInput,
  productInputSchema,
  taxRateChangesSchema,
  userInputSchema,
} from '../../cloud/catalog/schemas.ts';
import { createUser, updateUser } from '../../cloud/catalog/users.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

/** What an HQ route does with a body: parses it with the route's schema, then calls the service. */
const parsed = async <I, T>(schema: z.ZodType<I>, body: unknown, write: (input: I) => Promise<T>) =>
  write(schema.parse(body));

describe.each(engineNames)('catalog writes on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  const ctx = () => ({ db, actor: 'owner@example.com' });
  const count = async (table: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
  const changes = () =>
    db.query<{ cursor: number; entity: string; entity_id: string }>(
      'SELECT cursor, entity, entity_id FROM change_log ORDER BY cursor',
    );

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'Catalog', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
  });
  afterAll(async () => {
    await db?.close();
    await p?.destroy();
  });

  it('creates a product with its default price and the tenant default tax rate, logged and audited', async () => {
    const product = await createProduct(ctx(), {
      sku: 'COFFEE-250',
      name: 'Coffee 250 g',
      priceMinor: 650,
      barcode: '4006381333931',
    });
    expect(product).toMatchObject({ sku: 'COFFEE-250', name: 'Coffee 250 g', active: true, priceMinor: 650 });
    const [defaultRate] = await db.query<{ id: string }>('SELECT id FROM tax_rates WHERE is_default');
    expect(product.taxRateId).toBe(defaultRate!.id);
    const log = await changes();
    // Onboarding logged its seed (4 roles, 3 settings, the default tax rate, branch MAIN) first.
    expect(log.map((c) => c.entity)).toEqual([
      ...Array(4).fill('role'),
      ...Array(3).fill('setting'),
      'tax_rate',
      'branch',
      'product',
      'price',
    ]);
    expect(log.map((c) => c.cursor)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(product.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await db.query("SELECT action, actor FROM audit_logs WHERE action = 'product.created'")).toEqual([
      { action: 'product.created', actor: 'owner@example.com' },
    ]);
  });

  it('refuses bad input and duplicates, writing nothing', async () => {
    const before = {
      products: await count('products'),
      prices: await count('prices'),
      log: await count('change_log'),
      audit: await count('audit_logs'),
    };
    for (const bad of [
      { sku: '', name: 'x', priceMinor: 1 },
      { sku: 'X', name: 'x', priceMinor: -1 },
      { sku: 'X', name: 'x', priceMinor: 1.5 },
      { sku: 'X', name: 'x', priceMinor: 1, taxRateId: 'nope' },
      { sku: 'X', name: 'x', priceMinor: 1, evil: true },
      { sku: 'COFFEE-250', name: 'dup', priceMinor: 1 },
      { sku: 'OTHER', name: 'dup barcode', priceMinor: 1, barcode: '4006381333931' },
    ]) {
      await expect(parsed(productInputSchema, bad, (input) => createProduct(ctx(), input))).rejects.toThrow();
    }
    await expect(createBranch(ctx(), { code: 'MAIN', name: 'Again', timeZone: 'UTC' })).rejects.toMatchObject(
      { code: 'conflict' },
    );
    const branch = (body: unknown) => parsed(branchInputSchema, body, (input) => createBranch(ctx(), input));
    await expect(branch({ code: 'b2', name: 'Lower', timeZone: 'UTC' })).rejects.toThrow();
    await expect(branch({ code: 'B2', name: 'Mars', timeZone: 'Mars/Olympus' })).rejects.toThrow();
    await expect(
      parsed(userInputSchema, { name: 'Al', pin: '12' }, (input) => createUser(ctx(), input)),
    ).rejects.toThrow();
    await expect(setPrice(ctx(), { productId: 'nope', priceMinor: 1 })).rejects.toMatchObject({
      code: 'not_found',
    });
    const [coffee] = await db.query<{ id: string }>("SELECT id FROM products WHERE sku = 'COFFEE-250'");
    const when = '2030-01-01T00:00:00.000Z';
    await setPrice(ctx(), { productId: coffee!.id, priceMinor: 700, effectiveFrom: when });
    await expect(
      setPrice(ctx(), { productId: coffee!.id, priceMinor: 710, effectiveFrom: when }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    expect({
      products: await count('products'),
      prices: await count('prices'),
      log: await count('change_log'),
      audit: await count('audit_logs'),
    }).toEqual({ ...before, prices: before.prices + 1, log: before.log + 1, audit: before.audit + 1 });
  });

  it('logs updates, branch prices, tax rates, branches and cashiers with growing cursors', async () => {
    const [product] = await db.query<{ id: string }>("SELECT id FROM products WHERE sku = 'COFFEE-250'");
    await updateProduct(ctx(), product!.id, { name: 'Coffee 250 g (new)', category: 'Coffee' });
    await expect(updateProduct(ctx(), 'missing', { name: 'x' })).rejects.toMatchObject({ code: 'not_found' });
    const branch = await createBranch(ctx(), { code: 'B02', name: 'Harbour', timeZone: 'Europe/Lisbon' });
    await setPrice(ctx(), { productId: product!.id, branchCode: 'B02', priceMinor: 700 });
    const rate = await createTaxRate(ctx(), {
      name: 'Reduced',
      rateBp: 700,
      inclusive: true,
      isDefault: true,
    });
    const cashier = await createUser(
      ctx(),
      parseUserInput({ name: 'Alice', email: 'Alice@Example.com', pin: '4321' }),
    );

    const log = await changes();
    const cursors = log.map((c) => c.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(cursors.length);
    // The demoted default comes before the new one.
    expect(log.filter((c) => c.entity === 'tax_rate').at(-1)?.entity_id).toBe(rate.id);
    expect(await db.query("SELECT entity_id FROM audit_logs WHERE action = 'tax_rate.created'")).toEqual([
      { entity_id: rate.id },
    ]);
    expect(log.slice(12).map((c) => c.entity)).toEqual([
      'product',
      'branch',
      'price',
      'tax_rate',
      'tax_rate',
      'user',
    ]);
    expect(log.map((c) => c.entity_id)).toEqual(expect.arrayContaining([branch.id, rate.id, cashier.id]));
    expect(await db.query('SELECT count(*)::int AS n FROM tax_rates WHERE is_default')).toEqual([{ n: 1 }]);
    const [alice] = await db.query<{ pin_hash: string; role_id: string; email: string }>(
      'SELECT pin_hash, role_id, email FROM users WHERE id = $1',
      [cashier.id],
    );
    expect(alice).toMatchObject({ role_id: 'cashier', email: 'alice@example.com' });
    expect(alice!.pin_hash).toMatch(/^scrypt\$/);
  });

  it('changes tax rates, branches and cashiers, logging each', async () => {
    const before = await count('change_log');
    const [rate] = await db.query<{ id: string }>("SELECT id FROM tax_rates WHERE name = 'Reduced'");
    await updateTaxRate(ctx(), rate!.id, { rateBp: 550 });
    await updateBranch(ctx(), 'B02', { name: 'Harbour front', timeZone: 'Atlantic/Madeira' });
    const [alice] = await db.query<{ id: string; pin_hash: string }>(
      "SELECT id, pin_hash FROM users WHERE email = 'alice@example.com'",
    );
    await updateUser(ctx(), alice!.id, { pin: '9876', active: false });
    expect((await changes()).slice(before).map((c) => c.entity)).toEqual(['tax_rate', 'branch', 'user']);
    expect(await db.query("SELECT time_zone FROM branches WHERE code = 'B02'")).toEqual([
      { time_zone: 'Atlantic/Madeira' },
    ]);
    const [after] = await db.query<{ pin_hash: string; active: boolean | number }>(
      'SELECT pin_hash, active FROM users WHERE id = $1',
      [alice!.id],
    );
    expect(after!.pin_hash).not.toBe(alice!.pin_hash);
    expect(Boolean(after!.active)).toBe(false);
    await expect(updateBranch(ctx(), 'NOPE', { name: 'x' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      parsed(branchChangesSchema, { code: 'B03' }, (changes) => updateBranch(ctx(), 'B02', changes)),
    ).rejects.toThrow();
    await expect(
      parsed(taxRateChangesSchema, { rateBp: -1 }, (changes) => updateTaxRate(ctx(), rate!.id, changes)),
    ).rejects.toThrow();
    const owner = await db.query<{ id: string }>("SELECT id FROM users WHERE role_id = 'owner'");
    await expect(updateUser(ctx(), owner[0]!.id, { active: false })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await count('change_log')).toBe(before + 3);
  });

  it('gives cashiers and managers with a PIN a till code (assigned or chosen, never shared); viewers get none', async () => {
    const ana = await createUser(ctx(), parseUserInput({ name: 'Ana', pin: '1357' }));
    const ben = await createUser(ctx(), parseUserInput({ name: 'Ben', pin: '2468', code: 'B7' }));
    expect(ana.code).toMatch(/^\d{4,}$/);
    expect(ben.code).toBe('B7');
    const managerInput = { role: 'manager', name: 'Mo', password: 'manager-password-1' } as const;
    const mo = await createUser(ctx(), { ...managerInput, email: 'mo@shop.example', pin: '97531' });
    expect(Number(mo.code)).toBe(Number(ana.code) + 1);
    // A manager without a PIN has no code until one is set.
    const max = await createUser(ctx(), { ...managerInput, email: 'max@shop.example' });
    expect(max.code).toBeUndefined();
    expect((await updateUser(ctx(), max.id, { pin: '86420' })).code).toBe(String(Number(mo.code) + 1));
    await expect(
      createUser(ctx(), parseUserInput({ name: 'Cy', pin: '1111', code: 'B7' })),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(updateUser(ctx(), ana.id, { code: 'B7' })).rejects.toMatchObject({ code: 'conflict' });
    const vic = await createUser(ctx(), {
      role: 'viewer',
      name: 'Vic',
      email: 'vic@shop.example',
      password: 'viewer-password-1',
    });
    await expect(updateUser(ctx(), vic.id, { pin: '1234' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(updateUser(ctx(), vic.id, { code: '4242' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const codes = await db.query<{ code: string | null; role_id: string; pin: boolean }>(
      "SELECT code, role_id, pin_hash IS NOT NULL AS pin FROM users WHERE name IN ('Ana', 'Ben', 'Mo', 'Max', 'Vic') ORDER BY name",
    );
    expect(codes.map((u) => [u.role_id, u.code !== null, Boolean(u.pin)])).toEqual([
      ['cashier', true, true],
      ['cashier', true, true],
      ['manager', true, true],
      ['manager', true, true],
      ['viewer', false, false],
    ]);
  });

  it('keeps cursors gapless and unique under concurrent writers', async () => {
    const before = await count('change_log');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        createProduct(ctx(), { sku: `CONC-${i}`, name: `Concurrent ${i}`, priceMinor: 100 + i }),
      ),
    );
    const log = await changes();
    expect(log).toHaveLength(before + 20);
    expect(log.map((c) => c.cursor)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
  });
});
