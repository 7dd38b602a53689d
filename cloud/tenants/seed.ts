// What a new tenant starts with: the four roles, its settings, a default tax rate, branch MAIN and
// the owner. Every statement is an upsert so a resumed onboarding can run it again.
import { randomUUID } from 'node:crypto';
import type { SqlDatabase } from '../../src/db/sql.ts';
import { appendChanges, type Change, lockChangeLog } from '../catalog/change-log.ts';
import type { OnboardingRequest } from '../control/organizations.ts';

export const seedRoles = [
  { id: 'owner', name: 'Owner', permissions: ['*'] },
  {
    id: 'manager',
    name: 'Manager',
    permissions: ['catalog:write', 'users:write', 'devices:write', 'reports:read'],
  },
  { id: 'cashier', name: 'Cashier', permissions: ['sales:write'] },
  { id: 'viewer', name: 'Viewer', permissions: ['reports:read'] },
] as const;

export async function seedTenant(
  db: SqlDatabase,
  org: { name: string; onboarding: OnboardingRequest },
  ownerPasswordHash: string,
): Promise<void> {
  const now = new Date().toISOString();
  await db.transaction(async (tx) => {
    for (const role of seedRoles) {
      await tx.query(
        `INSERT INTO roles (id, name, permissions) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, permissions = EXCLUDED.permissions`,
        [role.id, role.name, JSON.stringify(role.permissions)],
      );
    }
    const settings: Record<string, string> = {
      organization_name: org.name,
      time_zone: org.onboarding.timezone,
      currency: org.onboarding.currency,
    };
    for (const [key, value] of Object.entries(settings)) {
      await tx.query(
        'INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING',
        [key, value, now],
      );
    }
    await tx.query(
      `INSERT INTO tax_rates (id, name, rate_bp, inclusive, is_default, created_at, updated_at)
       SELECT $1, 'Standard', 0, false, true, $2, $2
       WHERE NOT EXISTS (SELECT 1 FROM tax_rates WHERE is_default)`,
      [randomUUID(), now],
    );
    await tx.query(
      `INSERT INTO branches (id, code, name, time_zone, active, created_at, updated_at)
       VALUES ($1, 'MAIN', 'Main branch', $2, true, $3, $3) ON CONFLICT (code) DO NOTHING`,
      [randomUUID(), org.onboarding.timezone, now],
    );
    // The owner's password is (re)set on every run: a resumed onboarding prints a new one, because
    // the first run may have died before anyone saw the password it made.
    await tx.query(
      `INSERT INTO users (id, email, name, role_id, password_hash, active, created_at, updated_at)
       VALUES ($1, $2, 'Owner', 'owner', $3, true, $4, $4)
       ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = EXCLUDED.updated_at`,
      [randomUUID(), org.onboarding.ownerEmail, ownerPasswordHash, now],
    );

    // Edges pull the seed like any catalog change; written once (a resumed onboarding finds it there).
    const [logged] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM change_log');
    if (Number(logged?.n ?? 0) === 0) {
      await lockChangeLog(tx);
      const ids = async (sql: string) => (await tx.query<{ id: string }>(sql)).map((r) => r.id);
      const changes: Change[] = [
        ...seedRoles.map((r): Change => ({ entity: 'role', entityId: r.id })),
        ...Object.keys(settings).map((key): Change => ({ entity: 'setting', entityId: key })),
        ...(await ids('SELECT id FROM tax_rates WHERE is_default')).map(
          (id): Change => ({ entity: 'tax_rate', entityId: id }),
        ),
        ...(await ids("SELECT id FROM branches WHERE code = 'MAIN'")).map(
          (id): Change => ({ entity: 'branch', entityId: id }),
        ),
      ];
      await appendChanges(tx, changes, now);
    }
  });
}
