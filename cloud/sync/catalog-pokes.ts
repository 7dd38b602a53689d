// Live catalog: after a catalog write commits, one notification on the control plane's channel
// (payload: org id and new cursor) reaches every cloud process, and each pokes its connected devices
// of that tenant, which then pull. One listening connection per process, whatever the tenant count.
import { z } from 'zod';
import type { Notifications } from '../control/notifications.ts';
import type { SyncEndpoint } from './endpoint.ts';

export const CATALOG_CHANNEL = 'modernpos_catalog';

const payloadSchema = z.strictObject({ orgId: z.string(), cursor: z.number().int().nonnegative() });

export interface CatalogPokes {
  /** Announces that `orgId`'s change log reached `cursor` (call after the write committed). */
  changed(orgId: string, cursor: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startCatalogPokes(
  notifications: Notifications,
  endpoint: Pick<SyncEndpoint, 'poke' | 'pokeAll'>,
  log: (line: string) => void,
): Promise<CatalogPokes> {
  const stop = await notifications.listen(
    CATALOG_CHANNEL,
    (raw) => {
      let parsed: z.infer<typeof payloadSchema>;
      try {
        parsed = payloadSchema.parse(JSON.parse(raw));
      } catch {
        log(`catalog pokes: ignored a malformed notification ${JSON.stringify(raw.slice(0, 100))}`);
        return;
      }
      endpoint.poke(parsed.orgId, parsed.cursor);
    },
    // Notifications sent while the listener was down are lost: every device pulls to catch up.
    () => endpoint.pokeAll(),
  );
  return {
    changed: (orgId, cursor) => notifications.notify(CATALOG_CHANNEL, JSON.stringify({ orgId, cursor })),
    stop,
  };
}
