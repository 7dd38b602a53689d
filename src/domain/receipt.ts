// Receipt numbers `{branch}-{terminal}-{seq}` (refunds `{branch}-{terminal}-R{seq}`): gapless per
// terminal and series, assigned at the edge and never renumbered by the cloud; unique in the tenant
// without coordination because each terminal code of a branch is owned by one device (`terminals`).

export type ReceiptSeries = 'sale' | 'refund';

/** Branch and terminal codes: 1–16 capital letters, digits or underscores (they appear on receipts). */
export const CODE_PATTERN = /^[A-Z0-9][A-Z0-9_]{0,15}$/;
const CODE_PART = CODE_PATTERN.source.slice(1, -1);
const RECEIPT = new RegExp(`^(${CODE_PART})-(${CODE_PART})-(R?)(\\d{6,})$`);

export function formatReceiptNo(
  branch: string,
  terminal: string,
  series: ReceiptSeries,
  seq: number,
): string {
  if (!CODE_PATTERN.test(branch) || !CODE_PATTERN.test(terminal))
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
