// Whether a refund asks the cloud about its original first (protocol 5), and the answer. Another
// till's sale is always asked for: the copy this edge may hold could be stale. The edge's own sale
// is asked about only while the sync loop is connected, to learn what other tills refunded of it
// without making a till with a dead network wait for the timeout on every refund of its own sales.
// GET /v1/sales/:id answers another till's sale the same way (the receipt looked up before the
// refund), and keeps the copy so the refund works offline; the register page's look-up by receipt
// number (GET /v1/receipts/:receiptNo) asks the cloud by number for a receipt another till printed.
import { text, textLimits } from '../../src/domain/bounds.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import type { SaleView } from '../store/documents.ts';
import { refundOriginal } from '../store/refund-original.ts';
import type { EdgeStore } from '../store/store.ts';
import type { FetchedOriginal, FetchOriginal } from '../sync/fetch-original.ts';

export async function askCloudForOriginal(
  store: EdgeStore,
  saleId: string,
  options: { fetchOriginal?: FetchOriginal; syncConnected?: () => boolean },
): Promise<FetchedOriginal | undefined> {
  // An id no document can have is not worth a round trip: it is `sale_not_found` here.
  if (!options.fetchOriginal || !text(textLimits.id).min(1).safeParse(saleId).success) return undefined;
  const local = store.documents.kindOf(saleId) !== undefined;
  if (local && !(options.syncConnected?.() ?? false)) return undefined;
  return options.fetchOriginal(saleId);
}

/** A sale by id: this edge's own, or another till's from the cloud (kept as a copy) or the copy kept. */
export async function readSale(
  store: EdgeStore,
  saleId: string,
  options: { fetchOriginal?: FetchOriginal; syncConnected?: () => boolean },
): Promise<EdgeOutcome<SaleView>> {
  const local = store.documents.read(saleId);
  if (local) return accept(local);
  const fetched = await askCloudForOriginal(store, saleId, options);
  const found = refundOriginal(saleId, undefined, fetched, store.copies);
  if (!found.ok) return found;
  const { keep } = found.value;
  if (keep)
    store.database.sqlite.transaction(() => store.copies.save(keep.answer, keep.fetchedAt)).immediate();
  return accept(found.value.sale);
}

/**
 * A sale by the receipt number printed on it: this edge's own, a copy kept (fetched again by id,
 * so it is fresh while online), or another till's of any branch fetched from the cloud by number
 * and kept as a copy. Offline without a copy: `original_unavailable`, saying to try again online.
 */
export async function readSaleByReceipt(
  store: EdgeStore,
  receiptNo: string,
  ownId: string | undefined,
  options: { fetchOriginal?: FetchOriginal; syncConnected?: () => boolean },
): Promise<EdgeOutcome<SaleView>> {
  const id = ownId ?? store.copies.idOfReceipt(receiptNo);
  if (id !== undefined) return readSale(store, id, options);
  const shown = JSON.stringify(receiptNo.slice(0, textLimits.receiptNo));
  const byReceipt = options.fetchOriginal?.byReceipt;
  // A number no receipt can have is not worth a round trip.
  if (!byReceipt || !text(textLimits.receiptNo).min(1).safeParse(receiptNo).success) {
    return refuseWith('sale_not_found', `no receipt ${shown} at this edge`);
  }
  const fetched = await byReceipt(receiptNo);
  if (fetched.status === 'not_found') {
    return refuseWith('sale_not_found', `no receipt ${shown} on this till or in the cloud`);
  }
  if (fetched.status === 'unavailable') {
    return refuseWith(
      'original_unavailable',
      `receipt ${shown} is not on this till and the cloud is offline (${fetched.reason}); try again when online, or refund at the till that sold it`,
      { receiptNo },
    );
  }
  store.database.sqlite.transaction(() => store.copies.save(fetched.answer, fetched.fetchedAt)).immediate();
  return accept(fetched.answer.sale);
}
