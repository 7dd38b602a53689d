// Signals to every cloud process about a tenant's devices, on one channel of the control plane
// (one listening connection per process, whatever the tenant count): a committed catalog change
// (org id and new cursor), on which each process pokes its connected devices of that tenant, which
// then pull; a device's quarantined mutations resolved by HQ, whose edge is told `resolved` (protocol
// 4) and asks what became of them; and a revoked device, whose connection is closed wherever it is.
import { z } from 'zod';
import type { Logger } from '../../src/log.ts';
import type { Notifications } from '../control/notifications.ts';
import type { SyncEndpoint } from './endpoint.ts';

export const SYNC_CHANNEL = 'modernpos_sync';

const signalSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('catalog'), orgId: z.string(), cursor: z.number().int().nonnegative() }),
  z.strictObject({ kind: z.literal('revoked'), orgId: z.string(), deviceId: z.string() }),
  z.strictObject({ kind: z.literal('resolved'), orgId: z.string(), deviceId: z.string() }),
]);
type Signal = z.infer<typeof signalSchema>;

export interface SyncSignals {
  /** Announces that `orgId`'s change log reached `cursor` (call after the write committed). */
  catalogChanged(orgId: string, cursor: number): Promise<void>;
  /** Announces that HQ resolved some of a device's quarantined mutations: its edge asks what became of them. */
  quarantineResolved(orgId: string, deviceId: string): Promise<void>;
  /** Announces a revoked device (call after the revocation committed): its connection ends at once. */
  deviceRevoked(orgId: string, deviceId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSyncSignals(
  notifications: Notifications,
  endpoint: Pick<SyncEndpoint, 'poke' | 'pokeAll' | 'revoke' | 'resolved'>,
  logger: Logger,
): Promise<SyncSignals> {
  const stop = await notifications.listen(
    SYNC_CHANNEL,
    (raw) => {
      let signal: Signal;
      try {
        signal = signalSchema.parse(JSON.parse(raw));
      } catch {
        logger.warn({ notification: raw.slice(0, 100) }, 'sync signals: ignored a malformed notification');
        return;
      }
      if (signal.kind === 'catalog') endpoint.poke(signal.orgId, signal.cursor);
      else if (signal.kind === 'resolved') endpoint.resolved(signal.orgId, signal.deviceId);
      else endpoint.revoke(signal.orgId, signal.deviceId);
    },
    // Notifications sent while the listener was down are lost: every device pulls to catch up
    // (a revocation missed meanwhile still stops the device's next push or pull).
    () => endpoint.pokeAll(),
  );
  const send = (signal: Signal) => notifications.notify(SYNC_CHANNEL, JSON.stringify(signal));
  return {
    catalogChanged: (orgId, cursor) => send({ kind: 'catalog', orgId, cursor }),
    quarantineResolved: (orgId, deviceId) => send({ kind: 'resolved', orgId, deviceId }),
    deviceRevoked: (orgId, deviceId) => send({ kind: 'revoked', orgId, deviceId }),
    stop,
  };
}
