// Refusals of a tenant move: audited with their code, and a cluster that does not answer named as
// the source or the target.

import { sanitizeText } from '../../../src/domain/bounds.ts';
import { AppError, isAppError } from '../../../src/errors.ts';
import { auditingRefusals } from '../../control/audit.ts';
import type { Engine } from '../../engines/engine.ts';
import type { TenantContext } from '../context.ts';

/** Runs `fn`; a refusal (AppError) is audited as `tenant.move.refused` (or `tenant.move.abort.refused`) with its code. */
export const audited = <T>(
  ctx: TenantContext,
  orgId: string,
  action: string,
  details: Record<string, unknown>,
  fn: () => Promise<T>,
): Promise<T> => auditingRefusals(ctx, { action, orgId, details }, fn);

/** A cluster that does not answer: the move is refused (or stopped) with the cluster named. */
export function unreachable(cluster: string, role: 'source' | 'target', err: unknown): AppError {
  if (isAppError(err)) return err;
  const why = sanitizeText(err instanceof Error ? err.message : String(err), 200);
  return new AppError('database_unavailable', `the ${role} cluster ${cluster} does not answer (${why})`);
}

/** Refuses the move when the cluster does not answer. */
export async function probe(engine: Engine, role: 'source' | 'target'): Promise<void> {
  try {
    await engine.databaseExists('postgres');
  } catch (err) {
    throw unreachable(engine.cluster, role, err);
  }
}
