// The HQ dashboard in a real browser (Debian's Chromium through playwright-core) against a real cloud
// server: a real edge store sells and syncs over the WebSocket, then HQ signs in with the keyboard,
// sees the sale in the chart's figures and in the CSV, goes through every view, registers a device,
// and meets a wrong password and an expired session as messages, never a blank screen. Device health
// shows each till's last sync, reported backlog and oldest unsynced sale, and its quarantine. A second
// tenant's sale is never in anything the page receives.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { createUser } from '../../cloud/catalog/users.ts';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { applyBatch } from '../../cloud/sync/apply-batch.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { connect } from '../../edge/sync/connection.ts';
import { syncOn } from '../../edge/sync/sync-client.ts';
import { startSyncLoop } from '../../edge/sync/sync-loop.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import {
  focusOutline,
  NO_BROWSER,
  openBrowser,
  type TestBrowser,
  unlabelledControls,
} from '../helpers/browser.ts';
import { createTestEdge, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { hello, openRawSync } from '../helpers/sync.ts';
import { waitFor } from '../helpers/wait.ts';

const ZONE = 'Europe/Berlin';

describe.skipIf(NO_BROWSER)('the HQ dashboard in Chromium', () => {
  let p: TestPlatform;
  let server: CloudServer;
  let browser: TestBrowser;
  let page: Page;
  const dbs: ClosableSqlDatabase[] = [];
  const edges: TestEdge[] = [];
  const a = { orgId: uniqueId('hqa'), email: '', password: '' };
  const b = { orgId: uniqueId('hqb') };
  let sale: { receiptNo: string; totalMinor: number; businessDate: string };
  const tillTokens: string[] = [];
  /** Every /v1 answer the page received, as text. */
  const answers: { url: string; body: string }[] = [];
  const url = () => `http://127.0.0.1:${server.port}`;
  const eur = (minor: number) =>
    new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(minor / 100);

  /** A product at the cloud, pulled by a real edge, sold there, and pushed through the sync endpoint. */
  async function sellThroughSync(orgId: string, sku: string, name: string, priceMinor: number) {
    const db = p.engine.openDatabase(tenantDatabaseName(orgId));
    dbs.push(db);
    await createProduct({ db, actor: 'test' }, { sku, name, priceMinor });
    const { token } = await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till 1' });
    const edge = await createTestEdge({
      identity: { orgId, branch: 'MAIN', currency: 'EUR', timeZone: ZONE },
    });
    edges.push(edge);
    tillTokens.push(token);
    const sync = async () => {
      const conn = await connect(url(), token);
      try {
        return await syncOn(conn, edge.store);
      } finally {
        conn.close();
      }
    };
    await sync(); // pulls the catalog
    const sold = edge.store.sales.recordSale({
      terminal: 'T1',
      lines: [{ sku, qtyMilli: 2000 }],
      payments: [{ method: 'cash', amountMinor: priceMinor * 3 }],
    });
    if (!sold.ok) throw new Error(sold.error.message);
    expect(await sync()).toMatchObject({ pushed: 1, rejected: 0 });
    await sync(); // its hello reports the empty outbox: the device is in sync (docs/freshness.md)
    return sold.value.value;
  }

  beforeAll(async () => {
    p = await createTestPlatform('embedded');
    const owner = await onboardTenant(p.tenants, {
      orgId: a.orgId,
      name: 'Alpha',
      currency: 'EUR',
      timezone: ZONE,
    });
    a.email = owner.ownerEmail;
    a.password = owner.ownerPassword;
    await onboardTenant(p.tenants, { orgId: b.orgId, name: 'Beta', currency: 'EUR', timezone: ZONE });
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_browser_test_token_0123456789',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 4, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
    sale = await sellThroughSync(a.orgId, 'ESPRESSO', 'Espresso beans 1 kg', 1850);
    await sellThroughSync(b.orgId, 'BETA-ONLY', 'Beta secret blend', 7777);
    // A mutation the cloud cannot apply, from another till of A: it waits in quarantine.
    const dbA = dbs[0]!;
    await createUser(
      { db: dbA, actor: 'test' },
      { role: 'viewer', name: 'Vera Viewer', email: 'vera@alpha.example', password: 'viewer-password-123' },
    );
    const odd = await registerDevice(
      { db: dbA, orgId: a.orgId, actor: 'test' },
      { branch: 'MAIN', name: 'Till Q' },
    );
    await applyBatch(dbA, {
      deviceId: odd.deviceId,
      scope: { branchCode: 'MAIN', currency: 'EUR' },
      mutations: [{ seq: 1, id: 'odd-1', kind: 'sale', payload: { nonsense: true } }],
    });
    // A till of A back from offline with two sales not pushed yet: its hello reports them, then it drops.
    const late = await registerDevice(
      { db: dbA, orgId: a.orgId, actor: 'test' },
      { branch: 'MAIN', name: 'Till B' },
    );
    const raw = await openRawSync(url(), late.token);
    try {
      const welcome = await raw.request(hello({ backlog: { pending: 2, oldestPendingAgeSeconds: 5400 } }));
      expect(welcome.type).toBe('welcome');
    } finally {
      raw.close();
    }
    // The chain of Till B's edge database had two links flagged journal breaks on push.
    await dbA.query("UPDATE devices SET store_id = coalesce(store_id, 'store-till-b') WHERE id = $1", [
      late.deviceId,
    ]);
    await dbA.query(
      `INSERT INTO journal_heads (store_id, branch_code, terminal, org_id, last_seq, last_hash, started_at, breaks)
       SELECT store_id, 'MAIN', 'T9', $2, 3, $3, now(), 2 FROM devices WHERE id = $1`,
      [late.deviceId, a.orgId, 'a'.repeat(64)],
    );
    browser = await openBrowser(url());
    page = await browser.page();
    page.on('response', async (res) => {
      if (!new URL(res.url()).pathname.startsWith('/v1/')) return;
      answers.push({ url: res.url(), body: await res.text().catch(() => '') });
    });
  });
  afterAll(async () => {
    await browser?.close();
    for (const e of edges) e.destroy();
    await server?.stop().catch(() => {});
    for (const db of dbs) await db.close();
    await p?.destroy();
  });

  const message = () => page.locator('#message');

  it('refuses a wrong password with a message on the page', async () => {
    await page.goto(`${url()}/`);
    await page.locator('#sign-in').waitFor();
    expect(await focusOutline(page)).toMatchObject({ id: 'org', style: 'solid' });
    await page.keyboard.type(a.orgId);
    await page.keyboard.press('Tab');
    await page.keyboard.type(a.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type('not the password');
    await page.keyboard.press('Enter');
    await expect.poll(() => message().textContent()).toContain('Wrong organization, email or password.');
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await unlabelledControls(page)).toEqual([]);
    await browser.screenshot(page, 'dashboard-sign-in-error');
  });

  it('HQ signs in and sees that sale in the chart and in the CSV', async () => {
    await page.locator('#password').fill(a.password);
    await page.locator('#password').press('Enter');
    await page.locator('#card-day canvas').waitFor();
    await expect.poll(() => page.locator('#who').textContent()).toContain(a.orgId);
    expect(await page.locator('#zone').textContent()).toContain(ZONE);
    expect(await message().isHidden()).toBe(true); // the wrong password's message is gone
    // The chart's figures: the sale's business date with one sale and its total.
    const day = page.locator('#card-day tbody tr', { hasText: sale.businessDate });
    await expect.poll(() => day.count()).toBe(1);
    const cells = await day.locator('td').allTextContents();
    expect(cells.slice(0, 2)).toEqual([sale.businessDate, '1']);
    expect(cells).toContain(eur(sale.totalMinor));
    expect(await page.locator('#totals').textContent()).toContain(eur(sale.totalMinor));
    expect(await page.locator('#card-top').textContent()).toContain('Espresso beans 1 kg');
    expect(await page.locator('#card-payments').textContent()).toContain('cash');
    await browser.screenshot(page, 'dashboard-sales');

    // The download from the keyboard: the button takes focus visibly and Enter presses it.
    await page.locator('#card-day button.csv').focus();
    expect(await focusOutline(page)).toMatchObject({ tag: 'BUTTON', style: 'solid' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^${a.orgId}-sales-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}\\.csv$`),
    );
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(csv[0]).toBe(
      'businessDate,count,grossMinor,discountsMinor,refundsCount,refundsMinor,netMinor,taxMinor,averageTicketMinor',
    );
    const row = csv.find((line) => line.startsWith(`${sale.businessDate},`));
    expect(row?.split(',').slice(0, 2)).toEqual([sale.businessDate, '1']);
    expect(row?.split(',')[6]).toBe(String(sale.totalMinor));
  });

  it('shows every view with labelled controls, device health from the freshness data, registers a device and revokes it', async () => {
    for (const view of ['health', 'catalog', 'devices', 'users', 'downloads']) {
      await page.locator(`.tabs button[data-view="${view}"]`).click();
      await expect
        .poll(() => page.locator(`#view-${view}[aria-busy], #view-${view} [aria-busy]`).count())
        .toBe(0);
      expect(await page.locator(`#view-${view} .error`).count()).toBe(0);
      expect(await unlabelledControls(page)).toEqual([]);
      await browser.screenshot(page, `dashboard-${view}`);
    }
    await page.locator('.tabs button[data-view="health"]').click();
    const till = page.locator('#card-freshness tbody tr', { hasText: 'Till 1' });
    await expect.poll(() => till.textContent()).toContain('in sync');
    // Beside the last sync and the quarantine: the backlog each till reported, and its oldest unsynced sale.
    const header = await page.locator('#card-freshness table').nth(1).locator('thead th').allTextContents();
    const backlog = header.indexOf('Backlog');
    const oldest = header.indexOf('Oldest unsynced sale');
    expect(backlog).toBeGreaterThan(header.indexOf('Last sync'));
    expect(oldest).toBeGreaterThan(backlog);
    expect((await till.locator('td').allTextContents())[backlog]).toBe('0');
    // And the journal links the cloud flagged on push for its edge database (docs/freshness.md).
    const breaks = header.indexOf('Journal breaks');
    expect(breaks).toBeGreaterThan(header.indexOf('Quarantined'));
    expect((await till.locator('td').allTextContents())[breaks]).toBe('0');
    const late = await page
      .locator('#card-freshness tbody tr', { hasText: 'Till B' })
      .locator('td')
      .allTextContents();
    expect(late[backlog]).toBe('2');
    expect(late[oldest]).toMatch(/\(1 h old\)$/);
    // Its journal breaks stand out as a badge pointing at `modernpos journal verify`.
    expect(late[breaks]).toBe('2');
    const badge = page
      .locator('#card-freshness tbody tr', { hasText: 'Till B' })
      .locator('.badge.journal-break');
    expect(await badge.textContent()).toBe('2');
    expect(await badge.getAttribute('title')).toContain('modernpos journal verify');
    const branch = await page.locator('#card-freshness table').nth(0).locator('thead th').allTextContents();
    expect(branch).toContain('Backlog');
    await browser.screenshot(page, 'dashboard-device-health-backlog');

    await page.locator('.tabs button[data-view="devices"]').click();
    await page.locator('#d-name').fill('Till 2');
    await page.locator('#d-name').press('Enter');
    const token = page.locator('#device-token');
    await token.waitFor();
    expect(await token.inputValue()).toMatch(new RegExp(`^mpd_${a.orgId}_`));
    expect(await page.locator('#card-devices tbody').textContent()).toContain('Till 2');
    await browser.screenshot(page, 'dashboard-device-registered');
    // Revoking asks first; accepted, the device is revoked at the cloud.
    page.once('dialog', (dialog) => void dialog.accept());
    await page
      .locator('#card-devices tbody tr', { hasText: 'Till 2' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await expect.poll(() => message().textContent()).toContain('Till 2 revoked.');
    await expect
      .poll(() => page.locator('#card-devices tbody tr', { hasText: 'Till 2' }).textContent())
      .toContain('revoked');
  });

  it('downloads every report as CSV from the downloads view', async () => {
    await page.locator('.tabs button[data-view="downloads"]').click();
    const buttons = page.locator('#card-downloads button.csv');
    await expect.poll(() => buttons.count()).toBe(12);
    const names = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const [download] = await Promise.all([page.waitForEvent('download'), buttons.nth(i).click()]);
      const name = download.suggestedFilename();
      expect(name).toMatch(new RegExp(`^${a.orgId}-[a-z-]+.*\\.csv$`));
      const text = readFileSync((await download.path())!, 'utf8');
      expect(text.split(/\r?\n/)[0]).toMatch(/^[a-zA-Z,]+$/);
      names.add(await buttons.nth(i).getAttribute('data-report').then(String));
    }
    expect([...names].sort()).toEqual(
      ['flags', 'freshness', 'inventory', 'payments', 'refunds', 'sales', 'tax', 'top-products', 'z'].sort(),
    );
  });

  it('adds a product on the dashboard, from the keyboard, and a connected till has it', async () => {
    const loop = startSyncLoop(edges[0]!.store, { cloudUrl: url(), token: tillTokens[0]! });
    try {
      await waitFor(() => loop.connected(), 20_000, 'the till to connect');
      await page.locator('.tabs button[data-view="catalog"]').click();
      await page.locator('#p-sku').waitFor();
      await page.locator('#p-sku').focus();
      await page.keyboard.type('OATMILK');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Oat milk 1 l');
      await page.keyboard.press('Tab');
      await page.keyboard.type('2,49');
      await page.keyboard.press('Enter');
      await expect.poll(() => message().textContent()).toContain('Product OATMILK added.');
      const row = page.locator('#card-products tbody tr', { hasText: 'OATMILK' });
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.textContent()).toContain(eur(249));
      await waitFor(
        () => edges[0]!.store.searchProducts('OATMILK', 5).length === 1,
        20_000,
        'the till to pull it',
      );
      expect(edges[0]!.store.searchProducts('OATMILK', 5)).toEqual([
        expect.objectContaining({ sku: 'OATMILK', name: 'Oat milk 1 l', priceMinor: 249 }),
      ]);
      // A malformed price is refused on the page, and nothing is sent.
      await page.locator('#p-sku').fill('BAD');
      await page.locator('#p-name').fill('Bad price');
      await page.locator('#p-price').fill('2.499');
      await page.locator('#p-price').press('Enter');
      await expect.poll(() => message().textContent()).toContain('is not an amount like 12.50');
      expect(await page.locator('#card-products tbody tr', { hasText: 'Bad price' }).count()).toBe(0);
    } finally {
      await loop.stop();
    }
  });

  it('lists a quarantined mutation, says why replaying it as is fails, and discards it with a reason', async () => {
    await page.locator('.tabs button[data-view="health"]').click();
    const item = page.locator('#card-quarantine tbody tr', { hasText: 'Till Q' });
    await expect.poll(() => item.count()).toBe(1);
    // The device's last two cells: quarantined 1, journal breaks 0.
    const cells = page.locator('#card-freshness tbody tr', { hasText: 'Till Q' }).locator('td');
    expect([await cells.nth(-2).textContent(), await cells.nth(-1).textContent()]).toEqual(['1', '0']);
    await item.getByRole('button', { name: 'Replay' }).click();
    await expect.poll(() => message().textContent()).toMatch(/^Replay: /);
    expect(await item.count()).toBe(1);
    await item.getByRole('button', { name: 'Discard…' }).click();
    expect(await focusOutline(page)).toMatchObject({ tag: 'INPUT', style: 'solid' });
    await page.keyboard.type('test mutation, never a real sale');
    await page.keyboard.press('Enter');
    await expect.poll(() => message().textContent()).toContain('Discarded.');
    await expect
      .poll(() => page.locator('#card-quarantine').textContent())
      .toContain('Nothing in quarantine.');
    await browser.screenshot(page, 'dashboard-quarantine-resolved');
  });

  it('never receives anything of another tenant through its API calls', async () => {
    expect(answers.length).toBeGreaterThan(10);
    for (const answer of answers) {
      expect(answer.url).not.toContain(b.orgId);
      expect(answer.body).not.toContain(b.orgId);
      expect(answer.body).not.toContain('Beta secret blend');
      expect(answer.body).not.toContain('BETA-ONLY');
    }
    const stored = await page.evaluate('sessionStorage.getItem("modernpos.hq.session")');
    expect(JSON.parse(String(stored)).token).toMatch(new RegExp(`^mph_${a.orgId}_`));
  });

  it('shows a viewer the reports and the lists, with no form to change them', async () => {
    const tab = await browser.page();
    await tab.goto(`${url()}/`);
    await tab.locator('#org').fill(a.orgId);
    await tab.locator('#email').fill('vera@alpha.example');
    await tab.locator('#password').fill('viewer-password-123');
    await tab.locator('#password').press('Enter');
    await tab.locator('#card-day canvas').waitFor();
    expect(await tab.locator('#who').textContent()).toContain('(viewer)');
    for (const view of ['catalog', 'devices', 'users']) {
      await tab.locator(`.tabs button[data-view="${view}"]`).click();
      await expect
        .poll(() => tab.locator(`#view-${view}[aria-busy], #view-${view} [aria-busy]`).count())
        .toBe(0);
      expect(await tab.locator(`#view-${view} tbody tr`).count()).toBeGreaterThan(0);
      expect(await tab.locator(`#view-${view} form`).count()).toBe(0);
      expect(await tab.locator(`#view-${view} tbody button`).count()).toBe(0);
    }
    await browser.screenshot(tab, 'dashboard-viewer-users');
    const { token } = JSON.parse(
      String(await tab.evaluate('sessionStorage.getItem("modernpos.hq.session")')),
    );
    await tab.locator('#sign-out').click();
    await expect.poll(() => tab.locator('#message').textContent()).toContain('Signed out.');
    expect(await tab.evaluate('sessionStorage.getItem("modernpos.hq.session")')).toBeNull();
    await expect
      .poll(
        async () =>
          (await fetch(`${url()}/v1/session`, { headers: { authorization: `Bearer ${token}` } })).status,
      )
      .toBe(401);
    await tab.close();
  });

  it('turns an expired session into the sign-in with a message', async () => {
    const { token } = JSON.parse(
      String(await page.evaluate('sessionStorage.getItem("modernpos.hq.session")')),
    );
    const out = await fetch(`${url()}/v1/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.status).toBe(204);
    await page.locator('.tabs button[data-view="sales"]').click();
    await expect.poll(() => message().textContent()).toContain('Your session has expired or was ended');
    await page.locator('#sign-in').waitFor();
    expect(await page.locator('#app').isHidden()).toBe(true);
    await browser.screenshot(page, 'dashboard-session-expired');
  });

  it('says so when the cloud does not answer, and keeps the page', async () => {
    await page.route('**/v1/orgs/**', (route) => route.abort('connectionrefused'));
    await page.locator('#password').fill(a.password);
    await page.locator('#password').press('Enter');
    await expect.poll(() => message().textContent()).toContain('The cloud did not answer');
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
    await page.unroute('**/v1/orgs/**');
    expect(browser.problems).toEqual([]);
  });
});
