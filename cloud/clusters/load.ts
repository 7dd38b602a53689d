// How loaded a cluster is, read from the cluster itself: the total size of this control plane's tenant
// databases on it and its client backends. A cluster that does not answer within the time given is
// reported unreachable (the read is abandoned, never waited for).
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError, isAppError } from '../../src/errors.ts';
import type { EngineLoad } from '../engines/engine.ts';
import type { ClusterEngines } from './engines.ts';

export const CLUSTER_PROBE_TIMEOUT_MS = 5_000;

export type ClusterLoad = ({ reachable: true } & EngineLoad) | { reachable: false; error: string };

export function clusterLoad(
  clusters: ClusterEngines,
  name: string,
  orgIds: readonly string[],
  timeoutMs = CLUSTER_PROBE_TIMEOUT_MS,
): Promise<ClusterLoad> {
  return databasesLoad(clusters, name, orgIds.map(tenantDatabaseName), timeoutMs);
}

/** The load of `databases` (those that exist) on cluster `name`, or why it does not answer. */
export async function databasesLoad(
  clusters: ClusterEngines,
  name: string,
  databases: readonly string[],
  timeoutMs = CLUSTER_PROBE_TIMEOUT_MS,
): Promise<ClusterLoad> {
  try {
    const read = clusters.engine(name).then((engine) => engine.load(databases));
    return { reachable: true, ...(await answerWithin(read, timeoutMs)) };
  } catch (err) {
    return { reachable: false, error: describeFailure(err) };
  }
}

/** `work`'s answer, or `database_unavailable` once `timeoutMs` has passed (the work is then abandoned). */
export async function answerWithin<T>(work: Promise<T>, timeoutMs = CLUSTER_PROBE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError('database_unavailable', `no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failure as an operator reads it, without credentials: the app's message, or the driver's code. */
export function describeFailure(err: unknown): string {
  if (isAppError(err)) return err.message;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' && code !== '' ? `${code}: ${message}` : message;
}
