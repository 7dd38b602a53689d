// Receipt numbers `{branch}-{terminal}-{seq}` (refunds `{branch}-{terminal}-R{seq}`): gapless per
// terminal and series, unique in the tenant without coordination because branch and terminal codes
// are, assigned at the edge and never renumbered by the cloud.

export type ReceiptSeries = 'sale' | 'refund';

const CODE = /^[A-Z0-9][A-Z0-9_]{0,15}$/;
const RECEIPT = /^([A-Z0-9][A-Z0-9_]{0,15})-([A-Z0-9][A-Z0-9_]{0,15})-(R?)(\d{6,})$/;

export function formatReceiptNo(
  branch: string,
  terminal: string,
  series: ReceiptSeries,
  seq: number,
): string {
  if (!CODE.test(branch) || !CODE.test(terminal))
    throw new Error('branch and terminal codes are 1–16 of A–Z, 0–9, _');
  if (!Number.isSafeInteger(seq) || seq < 1) throw new Error('receipt sequence numbers start at 1');
  return `${branch}-${terminal}-${series === 'refund' ? 'R' : ''}${String(seq).padStart(6, '0')}`;
}

export function parseReceiptNo(
  receiptNo: string,
): { branch: string; terminal: string; series: ReceiptSeries; seq: number } | undefined {
  const m = RECEIPT.exec(receiptNo);
  if (!m) return undefined;
  return { branch: m[1]!, terminal: m[2]!, series: m[3] ? 'refund' : 'sale', seq: Number(m[4]) };
}
