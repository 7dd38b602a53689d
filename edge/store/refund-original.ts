// Which original a refund at this edge is taken against, and what other tills had refunded of it:
// the edge's own sale, or the cloud's copy of another till's (fetched now, or kept from an earlier
// fetch), with the other edges' refunds from the latest answer. Without either, a refund of another
// till's sale cannot be checked, and is refused (`original_unavailable`) with nothing written.
import type { OriginalSale } from '../../src/protocol/device-sales.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import type { FetchedOriginal } from '../sync/fetch-original.ts';
import type { SaleView } from './documents.ts';
import type { OriginalCopies } from './original-copies.ts';

export interface RefundOriginal {
  sale: SaleView | OriginalSale;
  /** Quantity other edges had refunded per original line, as this edge knows it. */
  elsewhere: ReadonlyMap<number, number>;
  /** The cloud's fresh answer, kept as the copy once the refund is recorded. */
  keep?: Extract<FetchedOriginal, { status: 'found' }>;
}

/**
 * @param local the sale in this edge's own store, if it recorded it
 * @param fetched what the cloud said just now; undefined when this edge syncs with no cloud (or did not ask)
 */
export function refundOriginal(
  saleId: string,
  local: SaleView | undefined,
  fetched: FetchedOriginal | undefined,
  copies: OriginalCopies,
): EdgeOutcome<RefundOriginal> {
  if (fetched?.status === 'found') {
    return accept({
      sale: local ?? fetched.answer.sale,
      elsewhere: quantities(fetched.answer.refundedElsewhere),
      keep: fetched,
    });
  }
  const copy = copies.get(saleId);
  const sale = local ?? copy?.sale;
  if (sale) return accept({ sale, elsewhere: quantities(copy?.refundedElsewhere ?? []) });
  if (fetched?.status === 'unavailable') {
    return refuseWith(
      'original_unavailable',
      `sale ${saleId} was not recorded at this till, and this edge cannot reach the cloud to fetch it (${fetched.reason}); refund it once the edge is back online, or at the till that sold it`,
      { saleId },
    );
  }
  return refuseWith(
    'sale_not_found',
    fetched ? `no sale ${saleId} on this edge or in the cloud` : `no sale ${saleId} on this edge`,
  );
}

const quantities = (lines: readonly { lineNo: number; qtyMilli: number }[]) =>
  new Map(lines.map((l) => [l.lineNo, l.qtyMilli]));
