// Terminal codes are claimed per branch by the first device whose documents (or hello) name them,
// and owned by it from then on: two devices never number the same receipt series, so receipt numbers
// stay unique in the tenant without any coordination at sale time.
import type { SqlQueryable } from '../../src/db/sql.ts';

/** Claims `codes` for the device where no other device owns them; returns every code the device owns among them. */
export async function claimTerminals(
  tx: SqlQueryable,
  deviceId: string,
  codes: readonly string[],
  at: string,
): Promise<Set<string>> {
  const unique = [...new Set(codes)];
  if (unique.length === 0) return new Set();
  const owned = async () =>
    new Set(
      (
        await tx.query<{ code: string }>(
          'SELECT code FROM terminals WHERE device_id = $1 AND code = ANY($2::text[])',
          [deviceId, unique],
        )
      ).map((r) => r.code),
    );
  // Usually every code is this device's already: one lookup, and a claim only for new codes.
  const mine = await owned();
  if (unique.every((c) => mine.has(c))) return mine;
  await tx.query(
    `INSERT INTO terminals (branch_id, code, device_id, created_at)
     SELECT d.branch_id, t.code, d.id, $3 FROM devices d, unnest($2::text[]) AS t(code) WHERE d.id = $1
     ON CONFLICT (branch_id, code) DO NOTHING`,
    [deviceId, unique.filter((c) => !mine.has(c)), at],
  );
  return owned();
}
