// A tenant's hellos arriving together (a reconnect storm after a cloud restart: every till at once)
// are answered together: while one batch of a tenant is in the tenant's database, the hellos that
// arrive for it wait and go as the next batch, so a tenant's hellos hold one connection of its pool
// and cost a few queries per batch (hello.ts), not a few per device. Nothing is cached: every hello
// reads its token and revocation in the batch that answers it.
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { type HelloRequest, type HelloTenant, helloTenants } from './hello.ts';
import { Refusal } from './refusal.ts';

/** Most hellos answered by one batch by default (a tenant's devices on one process are rarely more). */
export const MAX_HELLO_BATCH = 500;

export interface HelloBatches {
  /** The hello's welcome material; rejects with its `Refusal`, or the tenant's error (unreachable, migrating…). */
  hello(orgId: string, request: HelloRequest): Promise<HelloTenant>;
}

interface Waiting extends HelloRequest {
  resolve(welcome: HelloTenant): void;
  reject(err: unknown): void;
}

export function createHelloBatches(
  resolver: TenantResolver,
  now: () => Date,
  maxBatch: number,
): HelloBatches {
  /** Hellos waiting for their tenant's next batch. */
  const waiting = new Map<string, Waiting[]>();
  /** Tenants with a batch scheduled or in their database. */
  const running = new Set<string>();

  const run = async (orgId: string) => {
    for (;;) {
      const queue = waiting.get(orgId);
      if (!queue || queue.length === 0) break;
      const batch = queue.splice(0, maxBatch);
      if (queue.length === 0) waiting.delete(orgId);
      try {
        const results = await resolver.withTenant(orgId, (db) => helloTenants(db, orgId, batch, now));
        batch.forEach((w, i) => {
          const r = results[i];
          if (r === undefined || r instanceof Refusal) w.reject(r);
          else w.resolve(r);
        });
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    running.delete(orgId);
  };

  return {
    hello(orgId, request) {
      return new Promise<HelloTenant>((resolve, reject) => {
        const queue = waiting.get(orgId) ?? [];
        queue.push({ ...request, resolve, reject });
        waiting.set(orgId, queue);
        if (running.has(orgId)) return;
        running.add(orgId);
        // The hellos of this turn of the event loop join the first batch.
        setImmediate(() => void run(orgId));
      });
    },
  };
}
