// Tenant-routed tokens `{kind}_{orgId}_{secret}`: device tokens `mpd_…` (SPEC §8) and HQ session
// tokens `mph_…`. The org id lets the cloud route a request before it knows anything else; the
// secret is 24 random bytes as 32 base64url characters, whose fixed length keeps the split
// unambiguous although both the org id and base64url may contain underscores.
import { ORG_ID_PATTERN } from './org-id.ts';

const SECRET = /^[A-Za-z0-9_-]{32}$/;

export type TokenKind = 'mpd' | 'mph';

export function formatTenantToken(kind: TokenKind, orgId: string, secret: string): string {
  if (!ORG_ID_PATTERN.test(orgId) || !SECRET.test(secret)) throw new Error('malformed token parts');
  return `${kind}_${orgId}_${secret}`;
}

/** The org id and secret of a well-formed token of `kind`, or undefined. */
export function parseTenantToken(
  kind: TokenKind,
  token: string,
): { orgId: string; secret: string } | undefined {
  const prefix = `${kind}_`;
  if (!token.startsWith(prefix) || token.length < prefix.length + 1 + 1 + 32) return undefined;
  const orgId = token.slice(prefix.length, -33);
  const secret = token.slice(-32);
  if (token.at(-33) !== '_' || !ORG_ID_PATTERN.test(orgId) || !SECRET.test(secret)) return undefined;
  return { orgId, secret };
}

export const formatDeviceToken = (orgId: string, secret: string) => formatTenantToken('mpd', orgId, secret);
export const parseDeviceToken = (token: string) => parseTenantToken('mpd', token);
