// Device tokens split unambiguously into org id and secret although both may contain underscores.
import { describe, expect, it } from 'vitest';
import { formatDeviceToken, parseDeviceToken } from '../../src/domain/tenant-token.ts';

describe('device tokens', () => {
  const secret = 'Ab_-0123456789abcdefghijklmnopq_';

  it('round-trips org ids with underscores and secrets with underscores', () => {
    for (const orgId of ['acme', 'shop_1', 'a', `x${'_'.repeat(47)}`]) {
      const token = formatDeviceToken(orgId, secret);
      expect(parseDeviceToken(token)).toEqual({ orgId, secret });
    }
  });

  it.each([
    'mpd_acme',
    `mpa_acme_${secret}`,
    `mpd__${secret}`,
    `mpd_Acme_${secret}`,
    `mpd_acme_${secret}x`,
    `mpd_acme_${secret.slice(1)}`,
    `mpd_acme-${secret}`,
    `mpd_acme_${secret.slice(0, -1)}!`,
  ])('refuses %s', (token) => {
    expect(parseDeviceToken(token)).toBeUndefined();
  });
});
