// Runs the edge agent: the store and the cashier API on @hono/node-server. Returns a handle whose
// stop() closes the server (letting requests in flight finish) and then the store.

import { type ServerType, serve } from '@hono/node-server';
import type { Logger } from '../src/log.ts';
import { createEdgeApp } from './http/app.ts';
import type { EdgeStore } from './store/store.ts';
import type { FetchOriginal } from './sync/fetch-original.ts';

export interface EdgeServerOptions {
  store: EdgeStore;
  port: number;
  hostname?: string;
  /** Request lines and internal errors (default: nowhere). */
  logger?: Logger;
  /** Whether the sync loop is connected (for /metrics, and whether a refund asks the cloud about its own sale). */
  syncConnected?: () => boolean;
  /** --open-cashier-api (the caller has checked that `hostname` is a loopback address). */
  openCashierApi?: boolean;
  /** Fetches another till's sale from the cloud to refund it here. */
  fetchOriginal?: FetchOriginal;
  /** Sales arriving together share one commit (default true; false only for the benchmark's before figure). */
  groupCommit?: boolean;
}

export interface EdgeServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const app = createEdgeApp({
    store: options.store,
    ...(options.syncConnected ? { syncConnected: options.syncConnected } : {}),
    ...(options.fetchOriginal ? { fetchOriginal: options.fetchOriginal } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.openCashierApi ? { openCashierApi: true } : {}),
    ...(options.groupCommit === false ? { groupCommit: false } : {}),
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname ?? '127.0.0.1' }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  // The address a client can use: localhost for the loopback and wildcard addresses, else the one given.
  const host =
    options.hostname && !['0.0.0.0', '::', '127.0.0.1'].includes(options.hostname)
      ? options.hostname
      : 'localhost';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      options.store.close();
    },
  };
}
