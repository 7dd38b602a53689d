// Organization ids name databases and roles, so they are checked before any SQL runs (SPEC §2).

/** `^[a-z0-9][a-z0-9_]{0,47}$`: at most 48 characters, so `modernpos_org_{id}` stays under 63 bytes. */
export const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9_]{0,47}$/;

export type OrgIdCheck = { ok: true; orgId: string } | { ok: false; reason: string };

export function checkOrgId(value: unknown): OrgIdCheck {
  if (typeof value !== 'string' || value.length === 0) return { ok: false, reason: 'org id is empty' };
  if (value.length > 48) return { ok: false, reason: `org id is ${value.length} characters; at most 48` };
  if (!ORG_ID_PATTERN.test(value)) {
    return {
      ok: false,
      reason: 'org id must be lowercase letters, digits and underscores, starting with a letter or digit',
    };
  }
  return { ok: true, orgId: value };
}

/** The tenant database (and its owning role) for an organization. */
export function tenantDatabaseName(orgId: string): string {
  return `modernpos_org_${orgId}`;
}
