// A sale of the tenant as a device fetches it to refund it at another till (protocol 5): the stored
// document, and how much of each line the tenant's other edges have refunded. Refunds recorded by
// the asking edge's own database (the device, or another device bound to it) are left out: that
// edge holds them and counts them itself.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { DeviceSale } from '../../src/protocol/device-sales.ts';
import { readStoredSales } from '../sales/stored-sales.ts';
import { sameEdgeDevices } from './stored-documents.ts';

/**
 * The id of the tenant's document printed with receipt number `receiptNo`, or undefined. Receipt
 * numbers are unique in the tenant (`sales.receipt_no`), whatever branch or terminal printed them.
 */
export async function saleIdOfReceipt(tx: SqlQueryable, receiptNo: string): Promise<string | undefined> {
  const [row] = await tx.query<{ id: string }>('SELECT id FROM sales WHERE receipt_no = $1', [receiptNo]);
  return row?.id;
}

/** The sale `saleId` for the edge of `deviceId`, or undefined when the tenant holds no such document. */
export async function readDeviceSale(
  tx: SqlQueryable,
  deviceId: string,
  saleId: string,
): Promise<DeviceSale | undefined> {
  const stored = (await readStoredSales(tx, [saleId])).get(saleId);
  if (!stored) return undefined;
  const own = [...(await sameEdgeDevices(tx, deviceId))];
  const refunded = await tx.query<{ line_no: unknown; qty: unknown }>(
    `SELECT l.original_line_no AS line_no, sum(l.qty_milli)::int8 AS qty
       FROM sales r JOIN sale_lines l ON l.sale_id = r.id
      WHERE r.original_sale_id = $1 AND r.kind = 'refund' AND l.original_line_no IS NOT NULL
        AND (r.device_id IS NULL OR NOT (r.device_id = ANY($2::text[])))
      GROUP BY l.original_line_no ORDER BY l.original_line_no`,
    [saleId, own],
  );
  // The refunding till needs the document, not who approved it: the approval is left out.
  const { approval: _approval, ...sale } = stored;
  return {
    sale,
    refundedElsewhere: refunded.map((r) => ({ lineNo: Number(r.line_no), qtyMilli: Number(r.qty) })),
  };
}
