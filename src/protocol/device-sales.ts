// (Protocol 5) A device fetches a sale of any till of its tenant over HTTP, authenticated by its
// device token like the sync socket: `GET /v1/device/sales/:id` on the cloud's HTTP port. The edge
// uses it to refund at one till what another till sold (docs/sync-protocol.md). The same answer
// comes by receipt number, `GET /v1/device/receipts/:receiptNo`: what a customer's paper receipt shows.
import { z } from 'zod';
import { MAX_LINE_NO, MAX_LINES, refundedTotalMilliSchema, strictObject } from '../domain/bounds.ts';
import { saleDocumentSchema } from './mutations.ts';

/** The route, under the cloud's base URL; the sale id follows, URL-encoded. */
export const DEVICE_SALES_PATH = '/v1/device/sales';

/**
 * The route of a document by its receipt number (`{branch}-{terminal}-{seq}`, unique in the tenant),
 * under the cloud's base URL; the number follows, URL-encoded. Any branch of the device's tenant.
 */
export const DEVICE_RECEIPTS_PATH = '/v1/device/receipts';

/** The sale as the cloud stores it, without its stock movements: what the edge keeps as its copy. */
export const originalSaleSchema = saleDocumentSchema.omit({ stockMovements: true, refundedElsewhere: true });

/**
 * The answer: the sale (a refund, if the id names one: the edge refuses to refund it), and how much
 * of each of its lines the tenant's other edges have refunded, as stored now. Refunds recorded by
 * the asking edge's own database are left out: it counts those itself. A quantity may exceed what
 * was sold when tills refunded the same goods while offline.
 */
export const deviceSaleSchema = strictObject({
  sale: originalSaleSchema,
  refundedElsewhere: z
    .array(
      strictObject({
        lineNo: z.number().int().positive().max(MAX_LINE_NO),
        qtyMilli: refundedTotalMilliSchema,
      }),
    )
    .max(MAX_LINES)
    .refine((lines) => new Set(lines.map((l) => l.lineNo)).size === lines.length, 'one entry per line'),
});

export type OriginalSale = z.infer<typeof originalSaleSchema>;
export type DeviceSale = z.infer<typeof deviceSaleSchema>;
