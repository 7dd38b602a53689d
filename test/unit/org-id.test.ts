import { describe, expect, it } from 'vitest';
import { checkOrgId, tenantDatabaseName } from '../../src/domain/org-id.ts';

describe('org ids (SPEC §2)', () => {
  it.each(['acme', '12345', 'a', 'shop_2', 'a'.repeat(48)])('accepts %s', (id) => {
    expect(checkOrgId(id)).toEqual({ ok: true, orgId: id });
  });

  it.each(['x;drop database postgres', 'A', 'a-b', '../x', '', 'a'.repeat(49), '_a', 'acme ', 'é'])(
    'refuses %j',
    (id) => {
      expect(checkOrgId(id).ok).toBe(false);
    },
  );

  it('refuses non-strings', () => {
    expect(checkOrgId(undefined).ok).toBe(false);
    expect(checkOrgId(42).ok).toBe(false);
  });

  it('keeps the longest database name under Postgres’ 63-byte limit', () => {
    expect(Buffer.byteLength(tenantDatabaseName('a'.repeat(48)))).toBeLessThanOrEqual(63);
  });
});
