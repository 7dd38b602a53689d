// Fetching a sale of another till from the cloud to refund it here (protocol 5): one HTTP GET with
// the device token, bounded by a timeout. Whatever goes wrong (no network, a cloud that does not
// answer in time, a refused token, an answer that does not parse) is `unavailable`, never an
// exception: the refund route then answers from the copy it kept, or refuses and writes nothing.
import { DEVICE_SALES_PATH, type DeviceSale, deviceSaleSchema } from '../../src/protocol/device-sales.ts';

export type FetchedOriginal =
  | { status: 'found'; answer: DeviceSale; fetchedAt: string }
  /** The cloud holds no document under that id in this tenant. */
  | { status: 'not_found' }
  | { status: 'unavailable'; reason: string };

export type FetchOriginal = (saleId: string) => Promise<FetchedOriginal>;

/** How long a refund waits for the cloud before it answers from what the edge has. */
export const DEFAULT_FETCH_TIMEOUT_MS = 3_000;

/** The route of a sale under the cloud's base URL (given as for sync: http(s) or ws(s), with or without `/v1/sync`). */
export function deviceSaleUrl(cloudUrl: string, saleId: string): string {
  const url = new URL(cloudUrl);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'https:' : 'http:';
  const base = url.pathname.replace(/\/+$/, '').replace(/\/v1\/sync$/, '');
  url.pathname = `${base}${DEVICE_SALES_PATH}/${encodeURIComponent(saleId)}`;
  url.hash = '';
  url.search = '';
  return url.toString();
}

export function cloudOriginals(
  cloudUrl: string,
  token: string,
  options: { timeoutMs?: number; now?: () => Date } = {},
): FetchOriginal {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const now = options.now ?? (() => new Date());
  return async (saleId) => {
    try {
      const res = await fetch(deviceSaleUrl(cloudUrl, saleId), {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status === 404) {
        await res.body?.cancel();
        return { status: 'not_found' };
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        return { status: 'unavailable', reason: `the cloud answered ${res.status}` };
      }
      const parsed = deviceSaleSchema.safeParse(await res.json());
      if (!parsed.success || parsed.data.sale.id !== saleId) {
        return { status: 'unavailable', reason: "the cloud's answer was not a sale of that id" };
      }
      return { status: 'found', answer: parsed.data, fetchedAt: now().toISOString() };
    } catch (err) {
      const timedOut = (err as { name?: unknown }).name === 'TimeoutError';
      return {
        status: 'unavailable',
        reason: timedOut ? `no answer within ${timeoutMs} ms` : 'the cloud cannot be reached',
      };
    }
  };
}
