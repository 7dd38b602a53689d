// Fetching a sale of another till from the cloud to refund it here (protocol 5): one HTTP GET with
// the device token, bounded by a timeout, by sale id or by the receipt number a paper receipt shows.
// Whatever goes wrong (no network, a cloud that does not answer in time, a refused token, an answer
// that does not parse) is `unavailable`, never an exception: the refund route then answers from the
// copy it kept, or refuses and writes nothing.
import {
  DEVICE_RECEIPTS_PATH,
  DEVICE_SALES_PATH,
  type DeviceSale,
  deviceSaleSchema,
} from '../../src/protocol/device-sales.ts';

export type FetchedOriginal =
  | { status: 'found'; answer: DeviceSale; fetchedAt: string }
  /** The cloud holds no document under that id (or receipt number) in this tenant. */
  | { status: 'not_found' }
  | { status: 'unavailable'; reason: string };

/** A sale by id; `byReceipt`, when given, the same by receipt number. */
export type FetchOriginal = ((saleId: string) => Promise<FetchedOriginal>) & {
  byReceipt?: (receiptNo: string) => Promise<FetchedOriginal>;
};

/** How long a refund waits for the cloud before it answers from what the edge has. */
export const DEFAULT_FETCH_TIMEOUT_MS = 3_000;

/** `path/key` under the cloud's base URL (given as for sync: http(s) or ws(s), with or without `/v1/sync`). */
function deviceUrl(cloudUrl: string, path: string, key: string): string {
  const url = new URL(cloudUrl);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'https:' : 'http:';
  const base = url.pathname.replace(/\/+$/, '').replace(/\/v1\/sync$/, '');
  url.pathname = `${base}${path}/${encodeURIComponent(key)}`;
  url.hash = '';
  url.search = '';
  return url.toString();
}

/** The route of a sale under the cloud's base URL. */
export function deviceSaleUrl(cloudUrl: string, saleId: string): string {
  return deviceUrl(cloudUrl, DEVICE_SALES_PATH, saleId);
}

/** The route of a receipt number under the cloud's base URL. */
export function deviceReceiptUrl(cloudUrl: string, receiptNo: string): string {
  return deviceUrl(cloudUrl, DEVICE_RECEIPTS_PATH, receiptNo);
}

/** Whether a 404's body is the receipt route's own answer, not a cloud that has no such route. */
async function isReceiptNotFound(res: Response): Promise<boolean> {
  const body = (await res.json().catch(() => undefined)) as
    | { error?: { code?: unknown; details?: { receiptNo?: unknown } } }
    | undefined;
  return body?.error?.code === 'not_found' && body.error.details?.receiptNo !== undefined;
}

export function cloudOriginals(
  cloudUrl: string,
  token: string,
  options: { timeoutMs?: number; now?: () => Date } = {},
): FetchOriginal {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const now = options.now ?? (() => new Date());
  const get = async (
    url: string,
    notFound: (res: Response) => Promise<boolean>,
    matches: (answer: DeviceSale) => boolean,
    what: string,
  ): Promise<FetchedOriginal> => {
    try {
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status === 404) {
        if (await notFound(res)) return { status: 'not_found' };
        return {
          status: 'unavailable',
          reason: 'the cloud cannot look receipts up by number (an older cloud)',
        };
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        return { status: 'unavailable', reason: `the cloud answered ${res.status}` };
      }
      const parsed = deviceSaleSchema.safeParse(await res.json());
      if (!parsed.success || !matches(parsed.data)) {
        return { status: 'unavailable', reason: `the cloud's answer was not a sale of that ${what}` };
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
  const bySaleId = (saleId: string) =>
    get(
      deviceSaleUrl(cloudUrl, saleId),
      async (res) => {
        await res.body?.cancel();
        return true;
      },
      (answer) => answer.sale.id === saleId,
      'id',
    );
  const byReceipt = (receiptNo: string) =>
    get(
      deviceReceiptUrl(cloudUrl, receiptNo),
      isReceiptNotFound,
      (answer) => answer.sale.receiptNo === receiptNo,
      'receipt number',
    );
  return Object.assign(bySaleId, { byReceipt });
}
