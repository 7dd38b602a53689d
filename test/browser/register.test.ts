// The register in a real browser (Debian's Chromium through playwright-core) against a real cloud
// server and a real edge agent (its HTTP server and sync loop): a cashier signs in by keyboard,
// scans two products, pays cash and sees the change and the receipt; a wrong PIN, an unknown
// barcode, a short payment, an expired session and an edge that goes away mid-request are messages
// on the page, never a blank screen or a lost cart; the cart survives a reload; the cloud is
// stopped and the till still sells with the badge showing what waits, then the cloud comes back and
// the badge clears; a refund by receipt number, of this till's receipt and of another till's (fetched
// from the cloud by its number, or a clear message while the cloud is down), and a shift from float
// to Z report.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { createTaxRate } from '../../cloud/catalog/reference-data.ts';
import { createUser } from '../../cloud/catalog/users.ts';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { type CloudServer, type CloudServerOptions, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { type EdgeServer, startEdgeServer } from '../../edge/server.ts';
import { cloudOriginals } from '../../edge/sync/fetch-original.ts';
import { type SyncLoop, startSyncLoop } from '../../edge/sync/sync-loop.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import {
  ARTIFACTS,
  focusOutline,
  NO_BROWSER,
  openBrowser,
  type TestBrowser,
  unlabelledControls,
} from '../helpers/browser.ts';
import { createTestEdge, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { createTill, syncTill, type Till } from '../helpers/sync.ts';
import { waitFor } from '../helpers/wait.ts';

const ZONE = 'Europe/Berlin';
const BEANS = { sku: 'ESPRESSO', name: 'Espresso beans 1 kg', priceMinor: 1850, barcode: '4006381333931' };
const MILK = { sku: 'OATMILK', name: 'Oat milk 1 l', priceMinor: 249, barcode: '4001234567890' };
const CASHIER = { name: 'Carla Cashier', pin: '2468', code: '1001' };
/** The badge refreshes every 2 s and the sync loop reconnects with backoff: poll for longer. */
const SLOW = { timeout: 30_000, interval: 200 };
/** expect.poll with room for a loaded machine: what is polled for is awaited, never timed. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, SLOW);

describe.skipIf(NO_BROWSER)('the register in Chromium', () => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let cloud: CloudServer;
  let cloudOptions: CloudServerOptions;
  let edge: TestEdge;
  let edgeServer: EdgeServer;
  let loop: SyncLoop;
  let browser: TestBrowser;
  let page: Page;
  let other: Till | undefined;
  const orgId = uniqueId('reg');
  let origin = '';
  const eur = (minor: number) =>
    new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(minor / 100);
  const message = () => page.locator('#message');
  const cartRows = () => page.locator('#cart tbody tr');
  const badge = () => page.locator('#sync');

  /** What the edge says the cart costs: the test, like the page, computes no total itself. */
  async function quote(lines: object[]): Promise<{ totalMinor: number; taxMinor: number }> {
    const res = await fetch(`${origin}/v1/carts/quote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lines }),
    });
    return (await res.json()) as { totalMinor: number; taxMinor: number };
  }

  async function scan(code: string, rows: number) {
    await page.locator('#scan').fill('');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await poll(() => cartRows().count()).toBe(rows);
  }

  async function signInByKeyboard(pin = CASHIER.pin) {
    await page.locator('#sign-in').waitFor();
    await page.locator('#code').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(CASHIER.code);
    await page.keyboard.press('Tab');
    await page.keyboard.type(pin);
    await page.keyboard.press('Enter');
  }

  const salesAtEdge = () => edge.store.listSales({ limit: 500 });

  beforeAll(async () => {
    p = await createTestPlatform('embedded');
    await onboardTenant(p.tenants, { orgId, name: 'Register', currency: 'EUR', timezone: ZONE });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    await createTaxRate(
      { db, actor: 'test' },
      { name: 'VAT 19% (included)', rateBp: 1900, inclusive: true, isDefault: true },
    );
    await createProduct({ db, actor: 'test' }, BEANS);
    await createProduct({ db, actor: 'test' }, MILK);
    await createUser({ db, actor: 'test' }, { role: 'cashier', ...CASHIER });
    const { token } = await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till 1' });
    cloudOptions = {
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_register_test_token_0123456789',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    };
    cloud = await startCloudServer(cloudOptions);
    cloudOptions.port = cloud.port;
    const cloudUrl = `http://127.0.0.1:${cloud.port}`;
    edge = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR', timeZone: ZONE } });
    const store = edge.store;
    loop = startSyncLoop(store, { cloudUrl, token, backoff: { baseMs: 100, maxMs: 500 } });
    store.outbox.onAppend(() => loop.kick());
    edgeServer = await startEdgeServer({
      store,
      port: 0,
      syncConnected: () => loop.connected(),
      fetchOriginal: cloudOriginals(cloudUrl, token),
    });
    origin = `http://127.0.0.1:${edgeServer.port}`;
    await waitFor(
      () =>
        store.searchProducts(MILK.sku, 1).length === 1 &&
        store.database.sqlite.prepare('SELECT 1 FROM users WHERE code = ?').get(CASHIER.code) !== undefined,
      30_000,
      'the edge to pull the catalog and the cashier',
    );
    browser = await openBrowser(origin);
    page = await browser.page();
  });
  afterAll(async () => {
    await browser?.close();
    other?.edge.destroy();
    await loop?.stop();
    await edgeServer?.stop().catch(() => {});
    edge?.destroy();
    await cloud?.stop().catch(() => {});
    await db?.close();
    await p?.destroy();
  });

  it('refuses a wrong PIN with a message, and has labelled inputs and a visible focus', async () => {
    await page.goto(`${origin}/`);
    await page.locator('#sign-in').waitFor();
    expect(await focusOutline(page)).toMatchObject({ id: 'terminal', style: 'solid' });
    await page.keyboard.type('T1');
    await page.keyboard.press('Tab');
    await page.keyboard.type(CASHIER.code);
    await page.keyboard.press('Tab');
    await page.keyboard.type('9999');
    await page.keyboard.press('Enter');
    await poll(() => message().textContent()).toContain('Wrong cashier code or PIN.');
    expect(await message().textContent()).toContain('attempts left');
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await unlabelledControls(page)).toEqual([]);
    await browser.screenshot(page, 'register-wrong-pin');
  });

  it('a cashier signs in, scans two products, pays cash and sees the change and the receipt (keyboard only)', async () => {
    await signInByKeyboard();
    await page.locator('#app').waitFor();
    expect(await page.locator('#who').textContent()).toContain('Carla Cashier');
    expect(await focusOutline(page)).toMatchObject({ id: 'scan', style: 'solid' });
    await page.keyboard.type(BEANS.barcode);
    await page.keyboard.press('Enter');
    await poll(() => cartRows().count()).toBe(1);
    await page.keyboard.type(MILK.barcode);
    await page.keyboard.press('Enter');
    await poll(() => cartRows().count()).toBe(2);
    // Scanning the same product again adds to its line.
    await page.keyboard.type(MILK.barcode);
    await page.keyboard.press('Enter');
    await poll(() => cartRows().nth(1).locator('input.qty').inputValue()).toBe('2');
    const priced = await quote([
      { sku: BEANS.sku, qtyMilli: 1000 },
      { sku: MILK.sku, qtyMilli: 2000 },
    ]);
    await poll(() => page.locator('#total').textContent()).toBe(eur(priced.totalMinor));
    expect(await page.locator('#tax').textContent()).toBe(eur(priced.taxMinor));
    expect(await unlabelledControls(page)).toEqual([]);
    await browser.screenshot(page, 'register-cart');
    await page.setViewportSize({ width: 1000, height: 620 });
    await page.screenshot({ path: `${ARTIFACTS}register-docs.png` });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Enter on the empty scan field goes to payment; the cash tendered and Enter pays.
    await page.keyboard.press('Enter');
    expect(await focusOutline(page)).toMatchObject({ id: 'tendered', style: 'solid' });
    await page.keyboard.type('50');
    await page.keyboard.press('Enter');
    await page.locator('#receipt-area').waitFor();
    expect(await page.locator('#change').textContent()).toBe(eur(5000 - priced.totalMinor));
    const receiptNo = await page.locator('#receipt-number').textContent();
    expect(receiptNo).toMatch(/^MAIN-T1-\d{6}$/);
    const receipt = await page.locator('#receipt').textContent();
    expect(receipt).toContain(BEANS.name);
    expect(receipt).toContain(MILK.name);
    expect(receipt).toContain(eur(priced.totalMinor));
    await browser.screenshot(page, 'register-receipt');
    expect(await focusOutline(page)).toMatchObject({ id: 'new-sale', style: 'solid' });
    // The receipt prints alone.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('#app').isVisible()).toBe(false);
    expect(await page.locator('#receipt').isVisible()).toBe(true);
    expect(await page.locator('#print').isVisible()).toBe(false);
    await browser.screenshot(page, 'register-receipt-print');
    await page.emulateMedia({ media: 'screen' });
    const sold = salesAtEdge();
    expect(sold.ok && sold.value.sales.map((s) => s.receiptNo)).toEqual([receiptNo]);
    // Enter on "New sale" starts the next one, back in the scan field (printing hid the button).
    await page.locator('#new-sale').focus();
    await page.keyboard.press('Enter');
    await poll(() => page.locator('#receipt-area').isHidden()).toBe(true);
    expect(await focusOutline(page)).toMatchObject({ id: 'scan' });
    expect(await cartRows().count()).toBe(0);
  });

  it('says so for an unknown barcode and keeps the cart', async () => {
    await scan(BEANS.barcode, 1);
    await page.keyboard.type('2000000000000');
    await page.keyboard.press('Enter');
    await poll(() => message().textContent()).toContain('No product matches "2000000000000"');
    expect(await cartRows().count()).toBe(1);
  });

  it('keeps the unfinished cart across a page reload', async () => {
    await scan(MILK.barcode, 2);
    await page.reload();
    await page.locator('#app').waitFor();
    await poll(() => cartRows().count()).toBe(2);
    expect(await page.locator('#cart').textContent()).toContain(MILK.name);
    expect(await focusOutline(page)).toMatchObject({ id: 'scan' });
  });

  it('refuses a payment short of the total with a message, and keeps the cart', async () => {
    await page.locator('#tendered').fill('1');
    await page.locator('#tendered').press('Enter');
    await poll(() => message().textContent()).toContain('Payment short');
    expect(await message().textContent()).toContain(eur(100));
    expect(await cartRows().count()).toBe(2);
    expect(await page.locator('#receipt-area').isHidden()).toBe(true);
    await browser.screenshot(page, 'register-payment-short');
  });

  it('turns an expired session into the sign-in with a message, and keeps the cart', async () => {
    const token = String(await page.evaluate('sessionStorage.getItem("modernpos.register.session")'));
    const out = await fetch(`${origin}/v1/cashier-sessions/current`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.status).toBe(200);
    await page.locator('#tendered').fill('100');
    await page.locator('#tendered').press('Enter');
    await poll(() => message().textContent()).toContain('Your session has ended');
    await page.locator('#sign-in').waitFor();
    await browser.screenshot(page, 'register-session-ended');
    // The terminal is remembered; the cashier types code and PIN.
    expect(await focusOutline(page)).toMatchObject({ id: 'code' });
    await page.keyboard.type(CASHIER.code);
    await page.keyboard.press('Tab');
    await page.keyboard.type(CASHIER.pin);
    await page.keyboard.press('Enter');
    await page.locator('#app').waitFor();
    await poll(() => cartRows().count()).toBe(2);
  });

  it('keeps the cart when the edge goes away mid-request, and records the sale once when paid again', async () => {
    const before = salesAtEdge();
    const count = before.ok ? before.value.sales.length : -1;
    // The sale reaches the edge and is recorded, but its answer never reaches the page.
    await page.route('**/v1/sales', async (route) => {
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.locator('#exact-cash').click();
    await poll(() => message().textContent()).toContain('did not answer');
    expect(await cartRows().count()).toBe(2);
    await page.unroute('**/v1/sales');
    const after = salesAtEdge();
    expect(after.ok && after.value.sales.length).toBe(count + 1);
    // Paying again sends the same sale id: the edge answers the recorded sale, nothing twice.
    await page.locator('#pay').click();
    await page.locator('#receipt-area').waitFor();
    const again = salesAtEdge();
    expect(again.ok && again.value.sales.length).toBe(count + 1);
    expect(again.ok && again.value.sales[0]!.receiptNo).toBe(
      await page.locator('#receipt-number').textContent(),
    );
    await page.locator('#new-sale').click();
  });

  it('shows the receipt of a sale whose answer was lost when the cart changes next, instead of selling again', async () => {
    await scan(MILK.barcode, 1);
    const before = salesAtEdge();
    const count = before.ok ? before.value.sales.length : -1;
    await page.route('**/v1/sales', async (route) => {
      await route.fetch();
      await route.abort('connectionreset');
    });
    try {
      await page.locator('#all-card').click();
      await poll(() => message().textContent()).toContain('may or may not be recorded');
      // The edge did record it (on a loaded machine the page may give up before the edge answers).
      await poll(() => {
        const now = salesAtEdge();
        return now.ok ? now.value.sales.length : -1;
      }).toBe(count + 1);
    } finally {
      await page.unroute('**/v1/sales');
    }
    // The next scan first asks the edge about that sale: it was recorded, so its receipt is shown.
    await page.locator('#scan').fill(BEANS.barcode);
    await page.locator('#scan').press('Enter');
    await page.locator('#receipt-area').waitFor();
    await poll(() => message().textContent()).toContain('had been recorded before the connection dropped');
    const after = salesAtEdge();
    expect(after.ok && after.value.sales.length).toBe(count + 1);
    expect(after.ok && after.value.sales[0]!.receiptNo).toBe(
      await page.locator('#receipt-number').textContent(),
    );
    expect(await page.locator('#receipt').textContent()).toContain('Paid card');
    await page.locator('#new-sale').click();
    expect(await cartRows().count()).toBe(0);
  });

  it('searches by name, adds an open-price item and removes lines, by keyboard', async () => {
    expect(await cartRows().count()).toBe(0);
    // "1" is in both names ("… 1 kg", "… 1 l"): the matches are listed, the first has the focus.
    await page.locator('#scan').fill('');
    await page.keyboard.type(' 1 ');
    await page.keyboard.press('Enter');
    await poll(() => page.locator('#results button').count()).toBe(2);
    expect(await focusOutline(page)).toMatchObject({ tag: 'BUTTON', style: 'solid' });
    const chosen = String(await page.evaluate('document.activeElement.textContent'));
    await page.keyboard.press('Enter');
    await poll(() => cartRows().count()).toBe(1);
    expect(await page.locator('#cart').textContent()).toContain(chosen.split(' · ')[0]);
    await page.locator('#open-line summary').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Gift wrap');
    await page.keyboard.press('Tab');
    await page.keyboard.type('1,50');
    await page.keyboard.press('Enter');
    await poll(() => cartRows().count()).toBe(2);
    const sku = chosen.includes(BEANS.name) ? BEANS.sku : MILK.sku;
    const priced = await quote([
      { sku, qtyMilli: 1000 },
      { name: 'Gift wrap', unitPriceMinor: 150, qtyMilli: 1000, taxRateBp: 1900, taxInclusive: true },
    ]);
    await poll(() => page.locator('#total').textContent()).toBe(eur(priced.totalMinor));
    expect(await unlabelledControls(page)).toEqual([]);
    await browser.screenshot(page, 'register-open-price');
    // A typed quantity that is not one is refused on the page and the line keeps its quantity.
    const qtyInput = cartRows().nth(1).locator('input.qty');
    await qtyInput.fill('two');
    await qtyInput.press('Enter');
    await poll(() => message().textContent()).toContain('"two" is not a quantity');
    expect(await qtyInput.inputValue()).toBe('1');
    await page.getByRole('button', { name: 'Remove Gift wrap' }).focus();
    await page.keyboard.press('Enter');
    await poll(() => cartRows().count()).toBe(1);
    await cartRows().first().getByRole('button').focus();
    await page.keyboard.press('Enter');
    await poll(() => cartRows().count()).toBe(0);
  });

  it('shows a kept line the edge no longer sells, unpriced, so it can be removed', async () => {
    const kept = {
      lines: [
        { sku: 'GONE', qtyMilli: 1000 },
        { sku: MILK.sku, qtyMilli: 1000 },
      ],
    };
    await page.evaluate(`localStorage.setItem('modernpos.register.cart.T1', '${JSON.stringify(kept)}')`);
    await page.reload();
    await page.locator('#app').waitFor();
    await poll(() => message().textContent()).toContain('no product with sku "GONE"');
    expect(await cartRows().count()).toBe(2);
    expect(await page.locator('#total').textContent()).toBe('not priced yet');
    await browser.screenshot(page, 'register-unpriced-line');
    await page.getByRole('button', { name: 'Remove GONE' }).click();
    await poll(() => cartRows().count()).toBe(1);
    const priced = await quote([{ sku: MILK.sku, qtyMilli: 1000 }]);
    await poll(() => page.locator('#total').textContent()).toBe(eur(priced.totalMinor));
    await page.getByRole('button', { name: `Remove ${MILK.name}` }).click();
    await poll(() => cartRows().count()).toBe(0);
  });

  it('says so when the edge does not answer at all, and keeps the page', async () => {
    await scan(BEANS.barcode, 1);
    await page.route('**/v1/**', (route) => route.abort('connectionrefused'));
    try {
      await page.locator('#scan').fill(MILK.barcode);
      await page.locator('#scan').press('Enter');
      await poll(() => message().textContent()).toContain("The till's edge agent did not answer");
      await poll(() => badge().textContent()).toContain('Edge agent not answering');
      expect(await cartRows().count()).toBe(1);
      await browser.screenshot(page, 'register-edge-away');
    } finally {
      await page.unroute('**/v1/**');
    }
  });

  it('the cloud is stopped, the cashier still sells, and the badge shows the pending sales', async () => {
    await poll(() => badge().getAttribute('data-connected')).toBe('true');
    await cloud.stop();
    await poll(() => badge().getAttribute('data-connected')).toBe('false');
    await scan(MILK.barcode, 2);
    await page.locator('#tendered').fill('30');
    await page.locator('#tendered').press('Enter');
    await page.locator('#receipt-area').waitFor();
    const pending = edge.store.outbox.status(new Date()).pending;
    expect(pending).toBeGreaterThan(0);
    await poll(() => badge().getAttribute('data-pending')).toBe(String(pending));
    expect(await badge().textContent()).toContain(`Offline · ${pending} pending`);
    await browser.screenshot(page, 'register-offline');
    await page.locator('#new-sale').click();
  });

  it('the cloud comes back and the badge clears', async () => {
    cloud = await startCloudServer(cloudOptions);
    await poll(() => badge().getAttribute('data-pending')).toBe('0');
    await poll(() => badge().getAttribute('data-connected')).toBe('true');
    expect(await badge().textContent()).toMatch(/^Online · 0 pending · last sync \d/);
    const sold = salesAtEdge();
    const receipts = sold.ok ? sold.value.sales.map((s) => s.receiptNo) : [];
    const atCloud = await db.query<{ receipt_no: string }>(
      'SELECT receipt_no FROM sales ORDER BY receipt_no',
    );
    expect(atCloud.map((r) => r.receipt_no)).toEqual([...receipts].sort());
    await browser.screenshot(page, 'register-back-online');
  });

  it('takes a split payment: part by card, the rest in cash with change', async () => {
    await scan(BEANS.barcode, 1);
    const priced = await quote([{ sku: BEANS.sku, qtyMilli: 1000 }]);
    await page.locator('#card').fill('10');
    await page.locator('#tendered').fill('20');
    await page.locator('#tendered').press('Enter');
    await page.locator('#receipt-area').waitFor();
    const receipt = await page.locator('#receipt').textContent();
    expect(receipt).toContain(`Paid card${eur(1000)}`);
    expect(receipt).toContain(`Cash tendered${eur(2000)}`);
    expect(await page.locator('#change').textContent()).toBe(eur(3000 - priced.totalMinor));
    const sold = salesAtEdge();
    const id = sold.ok ? sold.value.sales[0]!.id : '';
    const recorded = edge.store.documents.read(id)!;
    expect(recorded.payments.map((p) => [p.method, p.amountMinor])).toEqual([
      ['card', 1000],
      ['cash', priced.totalMinor - 1000],
    ]);
    await page.locator('#new-sale').click();
  });

  it('refunds by receipt number, choosing lines', async () => {
    const sold = salesAtEdge();
    const first = sold.ok ? sold.value.sales.at(-1)! : undefined;
    await page.locator('.tabs button[data-view="refund"]').click();
    await page.locator('#receipt-no').fill(first!.receiptNo);
    await page.locator('#receipt-no').press('Enter');
    await page.locator('#refund h2').waitFor();
    // The focus is on the first line's quantity: refund one of it.
    expect(await focusOutline(page)).toMatchObject({ tag: 'INPUT', style: 'solid' });
    await page.keyboard.press('Control+A');
    await page.keyboard.type('1');
    await page.keyboard.press('Tab');
    const priced = await fetch(`${origin}/v1/sales/${first!.id}/refunds/quote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lines: [{ lineNo: 1, qtyMilli: 1000 }] }),
    }).then((r) => r.json() as Promise<{ totalMinor: number }>);
    await poll(() => page.locator('#refund-total').textContent()).toBe(eur(priced.totalMinor));
    expect(await unlabelledControls(page)).toEqual([]);
    await browser.screenshot(page, 'register-refund');
    await page.locator('#refund-form button[type="submit"]').click();
    await page.locator('#receipt-area').waitFor();
    expect(await page.locator('#receipt').textContent()).toContain('REFUND');
    expect(await page.locator('#receipt-number').textContent()).toMatch(/^MAIN-T1-R\d{6}$/);
    await page.locator('#new-sale').click();
  });

  it("refunds another till's receipt by its number, choosing a line, and says so while the cloud is down", async () => {
    // Till 2 sells two lines and syncs; this till has never seen the sale.
    other = await createTill(db, orgId, 'Till 2');
    const till = other;
    const sellAtTill2 = () => {
      const sold = till.edge.store.sales.recordSale({
        terminal: till.terminal,
        lines: [
          { name: 'Gift card sleeve', unitPriceMinor: 300, qtyMilli: 1000, taxRateBp: 1900 },
          { name: 'Tote bag', unitPriceMinor: 500, qtyMilli: 2000, taxRateBp: 1900 },
        ],
        payments: [{ method: 'cash', amountMinor: 1547 }],
      });
      if (!sold.ok || !sold.value.created) throw new Error('till 2 did not sell');
      return sold.value.value;
    };
    const sale = sellAtTill2();
    const unseen = sellAtTill2();
    await syncTill(`http://127.0.0.1:${cloud.port}`, till);
    expect(edge.store.documents.read(sale.id)).toBeUndefined();

    await page.locator('.tabs button[data-view="refund"]').click();
    // Typed in lower case, as a cashier might: receipt numbers are capitals.
    await page.locator('#receipt-no').fill(sale.receiptNo.toLowerCase());
    await page.locator('#receipt-no').press('Enter');
    await poll(() => page.locator('#refund h2').textContent()).toBe(`Refund of ${sale.receiptNo}`);
    // Refund one tote bag (the second line) only.
    const qtys = page.locator('#refund input.refund-qty');
    expect(await qtys.count()).toBe(2);
    await qtys.nth(1).fill('1');
    await qtys.nth(1).press('Tab');
    const priced = await fetch(`${origin}/v1/sales/${sale.id}/refunds/quote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lines: [{ lineNo: 2, qtyMilli: 1000 }] }),
    }).then((r) => r.json() as Promise<{ totalMinor: number }>);
    await poll(() => page.locator('#refund-total').textContent()).toBe(eur(priced.totalMinor));
    await page.locator('#refund-form button[type="submit"]').click();
    await page.locator('#receipt-area').waitFor();
    expect(await page.locator('#receipt').textContent()).toContain('REFUND');
    const refundNo = (await page.locator('#receipt-number').textContent()) ?? '';
    expect(refundNo).toMatch(/^MAIN-T1-R\d{6}$/);
    await page.locator('#new-sale').click();
    // The edge's sync loop pushes it; the cloud takes it against till 2's sale.
    await poll(async () =>
      (
        await db.query<{ original_sale_id: string; flags: string }>(
          'SELECT original_sale_id, flags FROM sales WHERE receipt_no = $1',
          [refundNo],
        )
      ).map((r) => [r.original_sale_id, JSON.parse(r.flags)]),
    ).toEqual([[sale.id, []]]);

    // The cloud down and no copy of the receipt: the page says so, and nothing is recorded.
    await cloud.stop();
    const before = salesAtEdge();
    await page.locator('.tabs button[data-view="refund"]').click();
    await page.locator('#receipt-no').fill(unseen.receiptNo);
    await page.locator('#receipt-no').press('Enter');
    await poll(() => message().textContent()).toContain(
      `receipt "${unseen.receiptNo}" is not on this till and the cloud is offline`,
    );
    expect(await message().textContent()).toContain('try again when online');
    expect(salesAtEdge()).toEqual(before);
    await browser.screenshot(page, 'register-refund-offline');
    cloud = await startCloudServer(cloudOptions);
    await poll(() => badge().getAttribute('data-connected')).toBe('true');
    await page.locator('.tabs button[data-view="sale"]').click();
  });

  it('opens a shift with a float, moves cash, shows the X report and closes with the Z report', async () => {
    await page.locator('.tabs button[data-view="shift"]').click();
    await page.locator('#float').fill('100');
    await page.locator('#float').press('Enter');
    await poll(() => message().textContent()).toContain('Shift opened.');
    await page.locator('#cm-amount').fill('10');
    await page.locator('#cm-reason').fill('change from the safe');
    await page.locator('#cm-reason').press('Enter');
    await poll(() => message().textContent()).toContain('Cash in recorded.');
    await page.locator('#x-report').click();
    await poll(() => page.locator('#report-title').textContent()).toBe('X report');
    const x = await page.locator('#report').textContent();
    expect(x).toContain(`Float${eur(10000)}`);
    expect(x).toContain(`Cash in${eur(1000)}`);
    // Expected in the drawer: the float and the cash put in, as the edge computed it.
    expect(await page.locator('#report tbody tr', { hasText: 'cash' }).textContent()).toContain(eur(11000));
    expect(await unlabelledControls(page)).toEqual([]);
    await browser.screenshot(page, 'register-x-report');
    await page.locator('#counted').fill('110');
    await page.locator('#counted').press('Enter');
    await poll(() => page.locator('#report-title').textContent()).toBe('Z report');
    const z = page.locator('#report tbody tr', { hasText: 'cash' });
    expect(await z.textContent()).toBe(`cash${eur(11000)}${eur(11000)}${eur(0)}`);
    // The Z report shows the close's seal: the terminal's grand totals (docs/edge.md#the-journal).
    expect(await page.locator('#report dl').textContent()).toContain('Grand sales');
    expect(await page.locator('#shift').textContent()).toContain('Shift closed');
    await browser.screenshot(page, 'register-z-report');
    expect(browser.problems).toEqual([]);
  });
});
