// Where each tenant move in progress stands, for /metrics and `cluster list`: the move fills it
// (`reportMoveLag` at each catch-up poll, `endMove` when it switches, aborts or fails), the monitoring
// reads it. Per process: a move runs in the process that started it, so that process's /metrics
// carries its lag (docs/observability.md).

export interface MoveProgress {
  orgId: string;
  /** Cluster the tenant is moving from and to. */
  from: string;
  to: string;
  /** Bytes of WAL the target's subscription has still to apply (source's current LSN − the subscription's); null before it reports. */
  lagBytes: number | null;
  /** The step the move is at (free text from the move, e.g. `catching_up`, `frozen`). */
  step: string;
  updatedAt: number;
}

const moves = new Map<string, MoveProgress>();

/** Called by a move at each step and catch-up poll. */
export function reportMoveLag(progress: Omit<MoveProgress, 'updatedAt'>): void {
  moves.set(progress.orgId, { ...progress, updatedAt: Date.now() });
}

/** Called by a move when it ends, whichever way. */
export function endMove(orgId: string): void {
  moves.delete(orgId);
}

export function movesInProgress(): MoveProgress[] {
  return [...moves.values()].sort((a, b) => a.orgId.localeCompare(b.orgId));
}
