// Sync metrics: connections, batches and their latency, and each device as this process last heard
// from it (last seen, last sync, backlog, oldest unsynced mutation). The sync endpoint reports to the
// SyncObserver this returns.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JournalBreakReason } from '../../src/protocol/journal.ts';
import type { Backlog } from '../../src/protocol/messages.ts';
import { LATENCY_BUCKETS } from './latency.ts';

/** How long a disconnected device's figures stay in /metrics. */
const DEVICE_TTL_MS = 3600_000;

export type BatchResult = 'applied' | 'seq_gap' | 'seq_conflict' | 'failed';

export interface SyncObserver {
  /** A device was welcomed on this connection (`deviceGone` follows when it closes). */
  deviceConnected(orgId: string, deviceId: string): void;
  /** A device said hello, pinged or pushed; `backlog` when it reported one (protocol 2). */
  deviceSeen(orgId: string, deviceId: string, backlog?: Backlog): void;
  /**
   * The cloud acknowledged the device (its `lastSyncAt`, docs/freshness.md): a push batch was
   * acked (`outboxEmpty` false), or a hello or ping reported an empty outbox (true).
   */
  deviceSynced(orgId: string, deviceId: string, outboxEmpty: boolean): void;
  deviceGone(orgId: string, deviceId: string): void;
  /** A push was answered after `seconds`: acknowledged (with its results) or refused. */
  batch(orgId: string, seconds: number, result: BatchResult, statuses?: readonly string[]): void;
  /** A pushed journal link did not follow its chain (docs/journal.md): accepted and flagged. */
  journalBreak(orgId: string, reason: JournalBreakReason): void;
}

export function registerSyncMetrics(registry: Registry): SyncObserver {
  // Sync: connections, batches and, per device, what it last told this process.
  const connections = new Gauge({
    name: 'modernpos_sync_connections',
    help: 'Devices connected to this process',
    registers: [registry],
  });
  const batches = new Counter({
    name: 'modernpos_sync_batches_total',
    help: 'Pushed batches answered: applied (acknowledged), seq_gap, seq_conflict or failed',
    labelNames: ['result'],
    registers: [registry],
  });
  const mutations = new Counter({
    name: 'modernpos_sync_mutations_total',
    help: 'Pushed mutations acknowledged: applied, duplicate or rejected (quarantined)',
    labelNames: ['status'],
    registers: [registry],
  });
  const journalBreaks = new Counter({
    name: 'modernpos_journal_breaks_total',
    help: 'Pushed journal links flagged as breaks (accepted, recorded and audited), by reason: gap, prev_hash_mismatch or hash_mismatch',
    labelNames: ['reason'],
    registers: [registry],
  });
  const batchDuration = new Histogram({
    name: 'modernpos_sync_batch_duration_seconds',
    help: 'From a push being taken up to its answer (the tenant transaction included)',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  interface DeviceState {
    org: string;
    device: string;
    connected: number;
    lastSeen: number;
    /** When this process last acknowledged the device (a push acked, or an empty outbox reported). */
    lastSync?: number;
    /** When the device last reported an empty outbox to this process. */
    outboxEmpty?: number;
    pending?: number;
    oldestPendingAt?: number | null | undefined;
  }
  const devices = new Map<string, DeviceState>();
  /**
   * A device gone from this process for an hour is forgotten (it reconnected elsewhere, was revoked
   * or its tenant left), so the series do not grow with every device a process ever saw.
   */
  const forgetGone = (now: number) => {
    for (const [key, d] of devices)
      if (d.connected === 0 && now - d.lastSeen > DEVICE_TTL_MS) devices.delete(key);
  };
  const deviceGauge = (
    name: string,
    help: string,
    value: (d: DeviceState, now: number) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['org', 'device'],
      registers: [registry],
      collect() {
        this.reset();
        const now = Date.now();
        forgetGone(now);
        for (const d of devices.values()) {
          const v = value(d, now);
          if (v !== undefined) this.set({ org: d.org, device: d.device }, v);
        }
      },
    });
  deviceGauge(
    'modernpos_device_last_seen_timestamp_seconds',
    'When the device last said hello, pinged or pushed (as this process heard it)',
    (d) => d.lastSeen / 1000,
  );
  deviceGauge(
    'modernpos_device_last_sync_timestamp_seconds',
    'When this process last acknowledged the device: a push batch acked, or a hello or ping reporting an empty outbox',
    (d) => (d.lastSync === undefined ? undefined : d.lastSync / 1000),
  );
  deviceGauge(
    'modernpos_device_outbox_empty_timestamp_seconds',
    'When the device last reported an empty outbox to this process (hello or ping, protocol 2 edges)',
    (d) => (d.outboxEmpty === undefined ? undefined : d.outboxEmpty / 1000),
  );
  deviceGauge('modernpos_device_connected', 'Whether the device is connected to this process', (d) =>
    d.connected > 0 ? 1 : 0,
  );
  deviceGauge(
    'modernpos_device_backlog',
    'Mutations the device had not had acknowledged when it last reported (protocol 2 edges)',
    (d) => d.pending,
  );
  deviceGauge(
    'modernpos_device_oldest_unsynced_seconds',
    "Age of the device's oldest unacknowledged mutation, from its last report (0 when none)",
    (d, now) =>
      d.oldestPendingAt === undefined
        ? undefined
        : d.oldestPendingAt === null
          ? 0
          : Math.max(0, (now - d.oldestPendingAt) / 1000),
  );
  const deviceOf = (org: string, device: string) => {
    const key = `${org}/${device}`;
    let d = devices.get(key);
    if (!d) {
      d = { org, device, connected: 0, lastSeen: Date.now() };
      devices.set(key, d);
    }
    return d;
  };

  return {
    deviceSeen(org, device, backlog) {
      const d = deviceOf(org, device);
      d.lastSeen = Date.now();
      if (backlog) {
        d.pending = backlog.pending;
        // Kept as an instant on this process's clock, so the age goes on growing between reports.
        d.oldestPendingAt =
          backlog.oldestPendingAgeSeconds === null
            ? null
            : Date.now() - backlog.oldestPendingAgeSeconds * 1000;
      }
    },
    deviceSynced(org, device, outboxEmpty) {
      const d = deviceOf(org, device);
      d.lastSync = Date.now();
      if (outboxEmpty) d.outboxEmpty = d.lastSync;
    },
    deviceConnected(org, device) {
      deviceOf(org, device).connected++;
      connections.inc();
    },
    deviceGone(org, device) {
      const d = deviceOf(org, device);
      d.connected = Math.max(0, d.connected - 1);
      connections.dec();
    },
    batch(_org, seconds, result, statuses) {
      batches.inc({ result });
      batchDuration.observe(seconds);
      for (const status of statuses ?? []) mutations.inc({ status });
    },
    journalBreak(_org, reason) {
      journalBreaks.inc({ reason });
    },
  };
}
