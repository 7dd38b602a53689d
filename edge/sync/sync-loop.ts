// Continuous sync for a running agent: keeps one connection, pushes whenever a mutation is recorded,
// pulls whenever the cloud pokes (and the branch's stock after pushes and heartbeats too), asks what became of quarantined entries after each welcome and
// whenever the cloud says some were resolved, pings to notice a dead socket, and reconnects with jittered
// exponential backoff (or after the cloud's hint). Sales never wait for any of it.
import type { Logger } from '../../src/log.ts';
import { isFinalClose } from '../../src/protocol/errors.ts';
import type { EdgeStore } from '../store/store.ts';
import { ConnectionLost, connect, type SyncConnection } from './connection.ts';
import {
  askOutcomes,
  positionOf,
  pullAll,
  pullStock,
  pushAll,
  SyncRefused,
  sayHello,
} from './sync-client.ts';

export interface SyncLoopOptions {
  cloudUrl: string;
  token: string;
  /** Refusals that will not heal by themselves are logged (default: nowhere). */
  logger?: Logger;
  /** How long acknowledged outbox entries are kept before they are pruned (default 7 days). */
  retentionMs?: number;
  /** First retry delay and the ceiling of the exponential backoff. */
  backoff?: { baseMs: number; maxMs: number };
  random?: () => number;
}

export interface SyncLoop {
  /** Something was recorded: push soon. */
  kick(): void;
  /** Whether a connection is up and welcomed. */
  connected(): boolean;
  stop(): Promise<void>;
}

/** Equal jitter: between half and all of the exponential bound, so a fleet does not reconnect in step. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const bound = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(bound / 2 + (random() * bound) / 2);
}

export function startSyncLoop(store: EdgeStore, options: SyncLoopOptions): SyncLoop {
  const { baseMs, maxMs } = options.backoff ?? { baseMs: 500, maxMs: 30_000 };
  const random = options.random ?? Math.random;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000;
  let stopped = false;
  let pushWanted = true;
  let pullWanted = true;
  /**
   * The branch's stock movements recorded elsewhere (protocol 5): pulled after each welcome, push,
   * poke and heartbeat, since other tills' movements come with no poke.
   */
  let stockWanted = true;
  /** Asked after each welcome and on each `resolved`: what became of quarantined entries. */
  let outcomesWanted = true;
  let conn: SyncConnection | undefined;
  let welcomed = false;
  let wake: () => void = () => {};
  let signalStop: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => {
    signalStop = resolve;
  });
  const nextWake = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });

  /** For /v1/sync/status; a store that cannot take it (busy, closing) must not stop the loop. */
  const recordError = (message: string) => {
    try {
      store.meta.set('last_sync_error', `${store.now().toISOString()} ${message}`);
    } catch (err) {
      options.logger?.warn({ err }, 'sync: last error not recorded');
    }
  };
  /** From a heartbeat's answer: a store busy or closing must not turn a pong into a crash. */
  const markInSyncQuietly = () => {
    try {
      store.outbox.markInSync(store.now().toISOString());
    } catch (err) {
      options.logger?.debug({ err }, 'sync: freshness not recorded');
    }
  };

  async function session(): Promise<void> {
    conn = await connect(options.cloudUrl, options.token);
    const current = conn;
    let welcome: Awaited<ReturnType<typeof sayHello>>;
    try {
      welcome = await sayHello(current, store);
    } catch (err) {
      current.terminate();
      throw err;
    }
    welcomed = true;
    onWelcome();
    stockWanted = true;
    const pullsStock = welcome.protocolVersion >= 5;
    const position = positionOf(welcome, store);
    current.onPoke(() => {
      pullWanted = true;
      stockWanted = true;
      wake();
    });
    current.onResolved(() => {
      outcomesWanted = true;
      wake();
    });
    // Heartbeat: a ping every interval; no pong within two intervals means the socket is dead.
    const heartbeat = setInterval(() => {
      // A dead socket never answers a closing handshake either: it is dropped, not closed.
      const timeout = setTimeout(() => current.terminate(), 2 * welcome.heartbeatMs);
      const backlog = store.outbox.backlog(store.now());
      current.request({ type: 'ping', at: Date.now(), backlog }).then(
        () => {
          clearTimeout(timeout);
          if (pullsStock && !stopped) {
            stockWanted = true;
            wake();
          }
          // An idle till in touch with the cloud is in sync: the pong answered its empty outbox.
          if (backlog.pending === 0 && !stopped) markInSyncQuietly();
        },
        () => clearTimeout(timeout),
      );
    }, welcome.heartbeatMs);
    heartbeat.unref();
    try {
      while (!stopped) {
        const woke = nextWake();
        if (pushWanted) {
          pushWanted = false;
          await pushAll(current, store, position);
          stockWanted = true;
        }
        if (pullWanted) {
          pullWanted = false;
          await pullAll(current, store);
        }
        if (stockWanted && pullsStock) {
          stockWanted = false;
          await pullStock(current, store);
        }
        if (outcomesWanted) {
          outcomesWanted = false;
          await askOutcomes(current, store);
        }
        const at = store.now();
        // The acks moved lastSyncAt already; a pass that leaves nothing pending is in sync.
        store.outbox.markInSync(at.toISOString());
        store.meta.set('last_sync_error', null);
        store.outbox.prune(new Date(at.getTime() - retentionMs).toISOString());
        if (pushWanted || pullWanted || outcomesWanted || (stockWanted && pullsStock)) continue;
        const lost = await Promise.race([woke.then(() => undefined), current.closed]);
        if (lost) throw lost;
      }
    } finally {
      clearInterval(heartbeat);
      welcomed = false;
      current.close();
    }
  }

  let attempt = 0;
  /** A welcome means the cloud is back: the next failure starts the backoff from the beginning. */
  const onWelcome = () => {
    attempt = 0;
  };
  const running = (async () => {
    while (!stopped) {
      let delay: number;
      try {
        await session();
        continue;
      } catch (err) {
        if (stopped) break;
        const refused = err instanceof SyncRefused ? err : undefined;
        if (!refused && !(err instanceof ConnectionLost)) {
          // Neither the cloud's refusal nor a lost connection: a bug or a broken store. Logged as
          // what it is, then retried like an outage so the till keeps selling meanwhile.
          options.logger?.error({ err }, 'sync: unexpected error (not a lost connection)');
        }
        const lost =
          err instanceof ConnectionLost
            ? err
            : new ConnectionLost(`internal error: ${err instanceof Error ? err.message : String(err)}`);
        const fatalClose = isFinalClose(lost.closeCode);
        // A URL that leads to no sync endpoint will not heal by itself either.
        const wrongUrl = lost.httpStatus === 404;
        recordError(
          refused
            ? `${refused.code}: ${refused.message}`
            : fatalClose
              ? `unauthorized: ${lost.message}`
              : lost.message,
        );
        // A refused token or version will not heal by itself: retry at the slowest pace.
        delay =
          refused?.retryAfterMs ??
          ((refused && !refused.retry) || fatalClose || wrongUrl
            ? maxMs
            : backoffDelay(attempt++, baseMs, maxMs, random));
        if (wrongUrl) options.logger?.warn({ status: 404 }, lost.message);
        if (refused && !refused.retry)
          options.logger?.warn({ code: refused.code }, `sync refused: ${refused.message}`);
      }
      pushWanted = true;
      pullWanted = true;
      outcomesWanted = true;
      // Only stop() cuts the wait short: sales recorded during an outage must not hammer the cloud.
      await Promise.race([new Promise((r) => setTimeout(r, delay).unref()), stopSignal]);
    }
  })();

  return {
    kick() {
      pushWanted = true;
      wake();
    },
    connected: () => welcomed,
    async stop() {
      stopped = true;
      signalStop();
      wake();
      conn?.close();
      await running;
    },
  };
}
