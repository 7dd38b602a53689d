// The edge's /metrics as the cashier API mounts it: prom-client and the registry (edge/http/metrics.ts)
// are loaded by the first scrape or the first request to time, not at start, so a till that has
// only answered /healthz has not paid for them (docs/benchmarks.md, "Start"). /healthz itself is not
// timed: it is the liveness probe, not the cashier API.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { EdgeStore } from '../store/store.ts';
import type { EdgeMetrics } from './metrics.ts';

export interface LazyEdgeMetrics {
  /** The Prometheus text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Times each request but /healthz by method, route pattern and status. */
  timing: MiddlewareHandler;
}

export function lazyEdgeMetrics(store: EdgeStore, connected?: () => boolean): LazyEdgeMetrics {
  let loading: Promise<EdgeMetrics> | undefined;
  let loaded: EdgeMetrics | undefined;
  const load = () => {
    loading ??= import('./metrics.ts').then((m) => {
      loaded = m.createEdgeMetrics(store, connected);
      return loaded;
    });
    return loading;
  };
  return {
    async scrape() {
      const metrics = await load();
      return { contentType: metrics.registry.contentType, body: await metrics.scrape() };
    },
    timing: async (c, next) => {
      if (c.req.path === '/healthz') return next();
      const started = performance.now();
      await next();
      const seconds = (performance.now() - started) / 1000;
      const labels = { method: c.req.method, route: routePath(c, -1), status: String(c.res.status) };
      // A metric that cannot be recorded never turns the answer into an error.
      const record = (metrics: EdgeMetrics) => {
        try {
          metrics.observeRequest(labels, seconds);
        } catch {}
      };
      // Recorded once the metrics are loaded: the first requests' answers never wait for prom-client.
      if (loaded !== undefined) record(loaded);
      else void load().then(record, () => {});
    },
  };
}
