// The tenant fleet benchmarks 2 and 3 share (BENCH_TENANTS, default 500): onboarded one after another
// as the CLI would, and reported as an informational row (it has no target of its own).
import type { Platform } from '../../cloud/platform.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { checkInterrupted, fmt, log, now, orgId, type Row, row } from './common.ts';

export const FLEET_SIZE = Number(process.env.BENCH_TENANTS || 500);

export async function onboardFleet(platform: Platform): Promise<{ orgIds: string[]; row: Row }> {
  if (!Number.isInteger(FLEET_SIZE) || FLEET_SIZE < 1)
    throw new Error('BENCH_TENANTS must be a whole number ≥ 1');
  const orgIds: string[] = [];
  const start = now();
  for (let i = 0; i < FLEET_SIZE; i++) {
    checkInterrupted();
    const id = orgId('f', i);
    await onboardTenant(platform.tenants, { orgId: id, name: `Fleet ${i}` });
    orgIds.push(id);
    if ((i + 1) % 50 === 0)
      log(`  fleet: ${i + 1}/${FLEET_SIZE} onboarded (${fmt((now() - start) / 1000)} s)`);
  }
  const seconds = (now() - start) / 1000;
  const name = `fleet: onboard ${FLEET_SIZE} tenants sequentially (${fmt((seconds * 1000) / FLEET_SIZE)} ms each)`;
  return { orgIds, row: row(name, { value: seconds, text: `${fmt(seconds)} s` }) };
}
