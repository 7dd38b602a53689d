// Benchmark 1: onboarding one tenant on the local Postgres (target: median ≤ 150 ms), interleaved
// with its raw ceiling, a bare CREATE DATABASE … TEMPLATE of the platform's own migrated template.
import type { Engine } from '../../cloud/engines/engine.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { createTestPlatform } from '../helpers/engines.ts';
import {
  adminClient,
  checkInterrupted,
  fmt,
  log,
  median,
  now,
  orgId,
  percentile,
  RAW_DB_PREFIX,
  type Row,
  rememberNames,
  row,
} from './common.ts';

const WARMUP = 2;
const SAMPLES = Number(process.env.BENCH_ONBOARD_SAMPLES || 30);
const TARGET_MS = 150;

export async function onboardingBench(): Promise<Row[]> {
  /** Time spent before each lifecycle step's callback, since the previous one (or the start). */
  const steps = new Map<string, number[]>();
  let mark = 0;
  const platform = await createTestPlatform('postgres', {
    afterStep: (step) => {
      const t = now();
      steps.set(step, [...(steps.get(step) ?? []), t - mark]);
      mark = t;
    },
  });
  rememberNames(platform.config.controlDatabase!, platform.config.templateDatabase!);
  // The same engines, timing the CREATE DATABASE … TEMPLATE the platform itself issues: onboarding
  // reaches its cluster's engine through placement (clusters.engine), so both are wrapped.
  const platformCreateMs: number[] = [];
  const timedEngine = (engine: Engine): Engine =>
    replaceMethod(engine, 'createDatabase', async (...args: Parameters<Engine['createDatabase']>) => {
      const t = now();
      await engine.createDatabase(...args);
      if (args[1]?.template) platformCreateMs.push(now() - t);
    });
  const { clusters } = platform.tenants;
  const ctx = {
    ...platform.tenants,
    engine: timedEngine(platform.tenants.engine),
    clusters: replaceMethod(clusters, 'engine', async (cluster: string) =>
      timedEngine(await clusters.engine(cluster)),
    ),
  };
  const admin = await adminClient();
  try {
    const onboardMs: number[] = [];
    const rawMs: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      checkInterrupted();
      if (i === WARMUP) {
        // the first onboarding also creates and migrates the template
        steps.clear();
        platformCreateMs.length = 0;
      }
      mark = now();
      const start = mark;
      await onboardTenant(ctx, { orgId: orgId('o', i), name: `Bench ${i}` });
      const took = now() - start;
      if (i < WARMUP) continue;
      onboardMs.push(took);
      // The ceiling, measured right after each onboarding on the same connection-free template.
      const raw = `${RAW_DB_PREFIX}c${i}`;
      const t = now();
      await admin.query(
        `CREATE DATABASE ${quoteIdent(raw)} TEMPLATE ${quoteIdent(platform.tenants.templateDatabase)}`,
      );
      rawMs.push(now() - t);
      await admin.query(`DROP DATABASE ${quoteIdent(raw)}`);
    }
    const breakdown = [...steps].map(([step, ms]) => `${step} ${fmt(median(ms))}`).join(', ');
    log(`  onboarding: ${SAMPLES} tenants after ${WARMUP} warm-up; median ms per step: ${breakdown}`);
    log(
      `  onboarding: p90 ${fmt(percentile(onboardMs, 90))} ms, max ${fmt(Math.max(...onboardMs))} ms; ` +
        `CREATE DATABASE TEMPLATE median ${fmt(median(platformCreateMs))} ms as issued by the platform, ` +
        `${fmt(median(rawMs))} ms bare (p90 ${fmt(percentile(rawMs, 90))})`,
    );
    const fig = median(onboardMs);
    const ceil = median(rawMs);
    return [
      row(
        `onboarding, median of ${SAMPLES} (p90 ${fmt(percentile(onboardMs, 90))} ms)`,
        { value: fig, text: `${fmt(fig)} ms` },
        {
          ceiling: { value: ceil, text: `${fmt(ceil)} ms CREATE DATABASE TEMPLATE` },
          target: { limit: TARGET_MS, text: `≤ ${TARGET_MS} ms` },
        },
      ),
    ];
  } finally {
    await admin.end();
    await platform.destroy();
  }
}

/** `target` with one method replaced: every other property read from it, methods bound to it (class or plain object alike). */
function replaceMethod<T extends object, K extends keyof T>(target: T, name: K, method: T[K]): T {
  return new Proxy(target, {
    get(t, prop) {
      if (prop === name) return method;
      const value = Reflect.get(t, prop, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}
