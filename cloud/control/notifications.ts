// Notifications between cloud processes on one channel of the control-plane database: Postgres
// LISTEN/NOTIFY with one dedicated listening connection per process (never one per tenant, which
// would spend the connection budget), or, on the embedded engine, which serves one process per data
// directory, an in-process emitter.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { quoteIdent, type SqlQueryable } from '../../src/db/sql.ts';

export interface Notifications {
  /** Sends `payload` to every listener of `channel`, in every cloud process (this one included). */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Listens on `channel` until the returned stop is called. `onResume` runs after the listening
   * connection was lost and came back: notifications sent meanwhile are gone, so listeners catch up.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onResume?: () => void,
  ): Promise<() => Promise<void>>;
}

export function createLocalNotifications(): Notifications {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async notify(channel, payload) {
      // Delivered after the caller's transaction has returned, as Postgres delivers after commit.
      queueMicrotask(() => emitter.emit(channel, payload));
    },
    async listen(channel, onPayload) {
      emitter.on(channel, onPayload);
      return async () => {
        emitter.off(channel, onPayload);
      };
    },
  };
}

export function createPostgresNotifications(
  control: SqlQueryable,
  controlUrl: string,
  options: { log?: (line: string) => void; retryMs?: number } = {},
): Notifications {
  return {
    async notify(channel, payload) {
      await control.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async listen(channel, onPayload, onResume) {
      let stopped = false;
      let started = false;
      let client: pg.Client | undefined;
      let retry: NodeJS.Timeout | undefined;
      const open = async (resuming: boolean): Promise<void> => {
        const c = new pg.Client({ connectionString: controlUrl, application_name: 'modernpos-listen' });
        c.on('notification', (n) => {
          if (n.channel === channel && n.payload !== undefined) onPayload(n.payload);
        });
        c.on('error', () => {
          // 'end' follows and reconnects.
        });
        c.on('end', () => {
          // Reconnects only a listener that was up: a failed first start is the caller's to report.
          if (stopped || !started) return;
          options.log?.(`notifications: lost the listening connection on ${channel}; reconnecting`);
          retry = setTimeout(() => void open(true).catch(() => {}), options.retryMs ?? 1000);
          retry.unref();
        });
        try {
          await c.connect();
          await c.query(`LISTEN ${quoteIdent(channel)}`);
        } catch (err) {
          await c.end().catch(() => {});
          if (!resuming) throw err;
          return;
        }
        client = c;
        if (resuming) onResume?.();
      };
      await open(false);
      started = true;
      return async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        await client?.end().catch(() => {});
      };
    },
  };
}
