// The demo tenant `modernpos dev` runs (SPEC §5): made once — a tenant "demo" with a tax rate, three
// products and its owner's login kept in the data directory — and found again on every later start.
// For trying the product on one machine; an operator onboards real tenants with `tenant create`.
import { randomInt } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../src/errors.ts';
import { createProduct } from '../catalog/products.ts';
import { createTaxRate } from '../catalog/reference-data.ts';
import { parseUserInput } from '../catalog/schemas.ts';
import { createUser, updateUser } from '../catalog/users.ts';
import { getOrganization } from '../control/organizations.ts';
import { registerDevice } from '../devices/devices.ts';
import { login } from '../hq/sessions.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { hashSecret, randomSecret } from '../secrets/passwords.ts';
import type { TenantContext } from './context.ts';
import { onboardTenant } from './onboard.ts';

export const DEMO_ORG = 'demo';
const OWNER_EMAIL = 'owner@demo.example';

export const demoProducts = [
  { sku: 'COFFEE', name: 'Coffee', priceMinor: 350 },
  { sku: 'TEA', name: 'Tea', priceMinor: 300 },
  { sku: 'CROISSANT', name: 'Croissant', priceMinor: 250 },
] as const;

/** The owner's login as `POST /v1/orgs/demo/sessions` takes it, so `curl -d @data/demo-login.json` works. */
const loginFile = z.object({ email: z.string(), password: z.string() });

/** The demo cashier's code; the PIN is made on the first start. */
export const DEMO_CASHIER_CODE = '1001';
/** The demo cashier's sign-in as `POST /v1/cashier-sessions` takes it (`curl -d @data/demo-cashier.json`). */
const cashierFile = z.object({ terminal: z.string(), code: z.string(), pin: z.string() });
export type DemoCashier = z.infer<typeof cashierFile>;

export interface DemoTenant {
  /** Made by this start (a till from an earlier demo belongs to another tenant). */
  created: boolean;
  orgId: string;
  name: string;
  timeZone: string;
  currency: string;
  ownerEmail: string;
  ownerPassword: string;
  /** A session for the owner made for this run, for the printed `curl`. */
  hqToken: string;
  /** The demo cashier's sign-in at terminal T1 (kept in demo-cashier.json). */
  cashier: DemoCashier;
}

function readJson<T>(file: string, schema: z.ZodType<T>): T | undefined {
  try {
    return schema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

function writeSecretJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The machine's own time zone, so "today" in the demo's reports is the user's today. */
const localTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/**
 * The demo tenant, made if it is missing. Its owner's password is kept (0600) in `dataDir`; if that
 * file was lost, the password is set anew, since the first one was shown only once.
 */
export async function ensureDemoTenant(
  tenants: TenantContext,
  resolver: TenantResolver,
  dataDir: string,
): Promise<DemoTenant> {
  const file = join(dataDir, 'demo-login.json');
  const save = (ownerPassword: string) => {
    writeFileSync(file, `${JSON.stringify({ email: OWNER_EMAIL, password: ownerPassword })}\n`, {
      mode: 0o600,
    });
    chmodSync(file, 0o600);
    return { email: OWNER_EMAIL, password: ownerPassword };
  };
  let credentials: z.infer<typeof loginFile> | undefined;
  const org = await getOrganization(tenants.control, DEMO_ORG);
  // Missing, or a first start interrupted while onboarding (which resumes): made now.
  const created = !org || org.status === 'provisioning';
  if (org && org.status !== 'active' && !created) {
    throw new AppError(
      'conflict',
      `the demo organization is ${org.status}; use another MODERNPOS_DATA_DIR (or cluster) for the demo`,
    );
  }
  if (created) {
    const made = await onboardTenant(tenants, {
      orgId: DEMO_ORG,
      name: 'Demo Coffee',
      ownerEmail: OWNER_EMAIL,
      timezone: localTimeZone(),
      currency: 'EUR',
    });
    credentials = save(made.ownerPassword);
  } else {
    try {
      credentials = loginFile.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      credentials = undefined;
    }
  }
  return resolver.withTenant(DEMO_ORG, async (db) => {
    // Only the tenant `modernpos dev` made is the demo: on a shared cluster an organization that
    // happens to be called "demo" is someone's, and its owner's password is never reset here.
    if (created) {
      await db.query(
        "INSERT INTO settings (key, value, updated_at) VALUES ('demo', 'made by modernpos dev', now()) ON CONFLICT (key) DO NOTHING",
      );
    } else if ((await db.query("SELECT 1 FROM settings WHERE key = 'demo'")).length === 0) {
      throw new AppError(
        'conflict',
        'an organization "demo" exists that modernpos dev did not make; run the demo against another cluster or data directory',
      );
    }
    if (!credentials) {
      const password = randomSecret(16);
      await db.query("UPDATE users SET password_hash = $1 WHERE email = $2 AND role_id = 'owner'", [
        await hashSecret(password),
        OWNER_EMAIL,
      ]);
      credentials = save(password);
    }
    const ctx = { db, actor: 'modernpos dev' };
    const [{ n } = { n: 0 }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM products');
    if (n === 0) {
      await createTaxRate(ctx, {
        name: 'VAT 19% (included)',
        rateBp: 1900,
        inclusive: true,
        isDefault: true,
      });
      for (const p of demoProducts) await createProduct(ctx, p);
    }
    // The demo cashier: made once; its PIN is set anew if the file that kept it was lost.
    const cashierPath = join(dataDir, 'demo-cashier.json');
    let cashier = readJson(cashierPath, cashierFile);
    const [known] = await db.query<{ id: string }>('SELECT id FROM users WHERE code = $1', [
      DEMO_CASHIER_CODE,
    ]);
    if (!known || !cashier) {
      const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
      if (known) await updateUser(ctx, known.id, { pin });
      else await createUser(ctx, parseUserInput({ name: 'Demo Cashier', code: DEMO_CASHIER_CODE, pin }));
      cashier = { terminal: 'T1', code: DEMO_CASHIER_CODE, pin };
      writeSecretJson(cashierPath, cashier);
    }
    const settings = await db.query<{ key: string; value: string }>(
      "SELECT key, value FROM settings WHERE key IN ('organization_name', 'time_zone', 'currency')",
    );
    const setting = (key: string) => settings.find((s) => s.key === key)?.value ?? '';
    const session = await login(db, DEMO_ORG, credentials);
    return {
      created,
      orgId: DEMO_ORG,
      name: setting('organization_name'),
      timeZone: setting('time_zone'),
      currency: setting('currency'),
      ownerEmail: credentials.email,
      ownerPassword: credentials.password,
      hqToken: session.token,
      cashier,
    };
  });
}

/** A new device for the demo's till on branch MAIN; its token is shown once, so the caller keeps it. */
export async function registerDemoTill(resolver: TenantResolver): Promise<string> {
  const device = await resolver.withTenant(DEMO_ORG, (db) =>
    registerDevice({ db, orgId: DEMO_ORG, actor: 'modernpos dev' }, { branch: 'MAIN', name: 'Demo till' }),
  );
  return device.token;
}
