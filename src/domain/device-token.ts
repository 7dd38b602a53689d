// Device tokens `mpd_{orgId}_{secret}` (SPEC §8): the org id lets the cloud route a device before it
// knows anything else; the secret is 24 random bytes as 32 base64url characters. The fixed length
// keeps the split unambiguous although both the org id and base64url may contain underscores.
import { ORG_ID_PATTERN } from './org-id.ts';

const SECRET = /^[A-Za-z0-9_-]{32}$/;

export function formatDeviceToken(orgId: string, secret: string): string {
  if (!ORG_ID_PATTERN.test(orgId) || !SECRET.test(secret)) throw new Error('malformed device token parts');
  return `mpd_${orgId}_${secret}`;
}

/** The org id and secret of a well-formed token, or undefined. */
export function parseDeviceToken(token: string): { orgId: string; secret: string } | undefined {
  if (!token.startsWith('mpd_') || token.length < 4 + 1 + 1 + 32) return undefined;
  const orgId = token.slice(4, -33);
  const secret = token.slice(-32);
  if (token.at(-33) !== '_' || !ORG_ID_PATTERN.test(orgId) || !SECRET.test(secret)) return undefined;
  return { orgId, secret };
}
