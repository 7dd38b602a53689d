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
  return (await claimTerminalsOfDevices(tx, [{ deviceId, codes }], at)).get(deviceId)!;
}

/**
 * `claimTerminals` for several devices at once (a tenant's hellos arriving together): one lookup, and
 * one claim only when some code is new; the codes each device owns among those it named.
 */
export async function claimTerminalsOfDevices(
  tx: SqlQueryable,
  claims: readonly { deviceId: string; codes: readonly string[] }[],
  at: string,
): Promise<Map<string, Set<string>>> {
  const pairs = claims.flatMap((c) => [...new Set(c.codes)].map((code) => ({ deviceId: c.deviceId, code })));
  const owned = new Map<string, Set<string>>(claims.map((c) => [c.deviceId, new Set()]));
  if (pairs.length === 0) return owned;
  const ids = pairs.map((p) => p.deviceId);
  const codes = pairs.map((p) => p.code);
  const read = async () => {
    const rows = await tx.query<{ device_id: string; code: string }>(
      `SELECT t.device_id, t.code FROM terminals t
       JOIN unnest($1::text[], $2::text[]) AS c(device_id, code) ON t.device_id = c.device_id AND t.code = c.code`,
      [ids, codes],
    );
    for (const r of rows) owned.get(r.device_id)?.add(r.code);
  };
  await read();
  const missing = pairs.filter((p) => !owned.get(p.deviceId)?.has(p.code));
  if (missing.length === 0) return owned;
  // In arrival order: of two devices claiming one new code, the first that asked owns it.
  await tx.query(
    `INSERT INTO terminals (branch_id, code, device_id, created_at)
     SELECT d.branch_id, c.code, d.id, $3
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(device_id, code, n) JOIN devices d ON d.id = c.device_id
     ORDER BY c.n
     ON CONFLICT (branch_id, code) DO NOTHING`,
    [missing.map((p) => p.deviceId), missing.map((p) => p.code), at],
  );
  await read();
  return owned;
}
