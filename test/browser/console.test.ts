// The operator console in a real browser against a real cloud server: a wrong admin token is a
// message; the fleet report lists the tenants; an operator onboards a tenant from the keyboard, sees
// the owner password once, migrates it, and offboards it only after typing its id.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import {
  focusOutline,
  NO_BROWSER,
  openBrowser,
  type TestBrowser,
  unlabelledControls,
} from '../helpers/browser.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const ADMIN_TOKEN = 'mpa_console_test_token_0123456789';

describe.skipIf(NO_BROWSER)('the operator console in Chromium', () => {
  let p: TestPlatform;
  let server: CloudServer;
  let browser: TestBrowser;
  let page: Page;
  const existing = uniqueId('old');
  const fresh = uniqueId('new');
  const url = () => `http://127.0.0.1:${server.port}`;
  const message = () => page.locator('#message');
  const row = (orgId: string) => page.locator('#tenants tbody tr', { hasText: orgId });

  beforeAll(async () => {
    p = await createTestPlatform('embedded');
    await onboardTenant(p.tenants, { orgId: existing, name: 'Existing Shop', currency: 'EUR' });
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: ADMIN_TOKEN,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 4, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
    browser = await openBrowser(url());
    page = await browser.page();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop().catch(() => {});
    await p?.destroy();
  });

  it('refuses a wrong admin token with a message on the page', async () => {
    await page.goto(`${url()}/admin`);
    await page.locator('#sign-in').waitFor();
    expect(await focusOutline(page)).toMatchObject({ id: 'token', style: 'solid' });
    await page.keyboard.type('mpa_wrong');
    await page.keyboard.press('Enter');
    await expect.poll(() => message().textContent()).toContain('The admin token was refused');
    expect(await page.locator('#app').isHidden()).toBe(true);
    await browser.screenshot(page, 'console-sign-in-error');
  });

  it('lists the tenants with status, schema version, size, sales today and last sync', async () => {
    await page.locator('#token').fill(ADMIN_TOKEN);
    await page.locator('#token').press('Enter');
    await expect.poll(() => row(existing).count()).toBe(1);
    const cells = await row(existing).locator('td').allTextContents();
    expect(cells[0]).toContain('Existing Shop');
    expect(cells[1]).toBe('active');
    expect(cells[2]).toMatch(/^(\d+) of \1$/);
    expect(cells[3]).toMatch(/\d (KB|MB)$/);
    expect(cells[4]).toBe('0 · €0.00');
    expect(cells[6]).toBe('never');
    expect(await unlabelledControls(page)).toEqual([]);
  });

  it('an operator onboards a tenant in the console', async () => {
    // By keyboard alone: focus the form's first field, type, tab between fields, Enter submits.
    await page.locator('#on-org').focus();
    expect(await focusOutline(page)).toMatchObject({ id: 'on-org', style: 'solid' });
    await page.keyboard.type(fresh);
    await page.keyboard.press('Tab');
    await page.keyboard.type('Fresh Foods');
    await page.keyboard.press('Tab');
    await page.keyboard.type('boss@fresh.example');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Europe/Vienna');
    await page.keyboard.press('Tab');
    await page.keyboard.type('EUR');
    await page.keyboard.press('Enter');
    const password = page.locator('#owner-password');
    await password.waitFor({ timeout: 60_000 });
    expect((await password.inputValue()).length).toBeGreaterThanOrEqual(12);
    await expect.poll(() => row(fresh).count()).toBe(1);
    expect(await row(fresh).locator('td').nth(1).textContent()).toBe('active');
    await browser.screenshot(page, 'console-onboarded');

    // The owner it made can sign in to HQ with that password.
    const login = await fetch(`${url()}/v1/orgs/${fresh}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'boss@fresh.example', password: await password.inputValue() }),
    });
    expect(login.status).toBe(201);
  });

  it('migrates a tenant and says where it stands', async () => {
    await row(fresh).getByRole('button', { name: 'Migrate' }).click();
    await expect.poll(() => message().textContent()).toMatch(new RegExp(`${fresh} is at schema \\d+`));
  });

  it('offboards only after the tenant id is typed', async () => {
    await row(fresh).getByRole('button', { name: 'Offboard…' }).click();
    await page.locator('#offboard-dialog').waitFor();
    expect(await focusOutline(page)).toMatchObject({ id: 'offboard-confirm', style: 'solid' });
    await page.keyboard.type(fresh.slice(0, -1));
    expect(await page.locator('#offboard-go').isDisabled()).toBe(true);
    await browser.screenshot(page, 'console-offboard-confirm');
    await page.keyboard.type(fresh.slice(-1));
    expect(await page.locator('#offboard-go').isEnabled()).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => message().textContent(), { timeout: 60_000 }).toContain(`${fresh} is offboarded`);
    await expect.poll(() => row(fresh).locator('td').nth(1).textContent()).toBe('offboarded');
    expect(await row(existing).locator('td').nth(1).textContent()).toBe('active');
    await browser.screenshot(page, 'console-tenants');
    expect(browser.problems).toEqual([]);
  });
});
