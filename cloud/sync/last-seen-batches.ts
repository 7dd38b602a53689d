// An idle till's heartbeat writes its device row once a minute (session-ping.ts): with thousands of
// tills, one statement and one pool lease each is most of what an idle cloud does, and a tenant's
// pool may have to be reopened for every one of them. The writes of idle tills (nothing pending, or
// no backlog reported) are gathered per tenant instead and written together every `flushMs`, in one
// statement (touchDevices, deferred: nothing newer is undone). A till with a backlog is written at
// once, as before. Nothing the sync protocol answers waits for these writes.
import type { Logger } from '../../src/log.ts';
import type { Backlog } from '../../src/protocol/messages.ts';
import { touchDevices } from '../devices/last-seen.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';

export interface LastSeenBatches {
  /** Queues the device's contact write; it reaches the tenant's database within `flushMs`. */
  touch(orgId: string, deviceId: string, at: Date, backlog: Backlog | undefined): void;
  /** Writes everything queued now (when the endpoint closes). */
  flush(): Promise<void>;
}

interface Touch {
  deviceId: string;
  at: Date;
  backlog: Backlog | undefined;
}

export function createLastSeenBatches(
  resolver: TenantResolver,
  logger: Logger,
  flushMs: number,
): LastSeenBatches {
  const queued = new Map<string, Touch[]>();
  const timers = new Map<string, NodeJS.Timeout>();
  const writing = new Set<Promise<void>>();

  const flushTenant = (orgId: string): Promise<void> => {
    clearTimeout(timers.get(orgId));
    timers.delete(orgId);
    const touches = queued.get(orgId) ?? [];
    queued.delete(orgId);
    if (touches.length === 0) return Promise.resolve();
    const write = resolver
      .withTenant(orgId, (db) => touchDevices(db, touches, { deferred: true }))
      // As an ungathered heartbeat's write: a miss is logged, the next heartbeat writes again.
      .catch((err: unknown) => logger.debug({ err, org: orgId }, 'sync: last seen not written'))
      .finally(() => writing.delete(write));
    writing.add(write);
    return write;
  };

  return {
    touch(orgId, deviceId, at, backlog) {
      const list = queued.get(orgId) ?? [];
      list.push({ deviceId, at, backlog });
      queued.set(orgId, list);
      if (timers.has(orgId)) return;
      const timer = setTimeout(() => void flushTenant(orgId), flushMs);
      timer.unref();
      timers.set(orgId, timer);
    },
    async flush() {
      await Promise.all([...queued.keys()].map(flushTenant));
      await Promise.all(writing);
    },
  };
}
