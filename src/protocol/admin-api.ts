// What the operator API under /admin answers (docs/operations.md), as zod schemas: the cloud's
// /openapi.json is generated from them, and tests check real answers against them.
import { z } from 'zod';

const instant = z.string();

export const tenantViewSchema = z.strictObject({
  orgId: z.string(),
  name: z.string(),
  status: z.string(),
  cluster: z.string(),
  region: z.string().nullable(),
  database: z.string(),
  schemaVersion: z.number().int(),
  latestSchemaVersion: z.number().int(),
  sizeBytes: z.number().nullable(),
  createdAt: instant,
  updatedAt: instant,
});
export const tenantListSchema = z.strictObject({ tenants: z.array(tenantViewSchema) });

/** The owner's password is shown once. */
export const onboardedSchema = z.strictObject({
  orgId: z.string(),
  database: z.string(),
  ownerEmail: z.string(),
  ownerPassword: z.string(),
  cluster: z.string(),
  resumed: z.boolean(),
});

export const migratedSchema = z.strictObject({
  orgId: z.string(),
  ok: z.boolean(),
  from: z.number().int(),
  to: z.number().int(),
  applied: z.array(z.number().int()),
  error: z.string().optional(),
});

export const offboardedSchema = z.strictObject({
  orgId: z.string(),
  status: z.literal('offboarded'),
  exportFile: z.string().nullable(),
  backupFile: z.string().nullable(),
  exportSkipped: z.string().nullable(),
  alreadyOffboarded: z.boolean(),
});

const movedSchema = z.strictObject({
  orgId: z.string(),
  from: z.string(),
  to: z.string(),
  method: z.enum(['logical', 'copy']),
  fallbackReason: z.string().nullable(),
  freezeMs: z.number().nullable(),
  /** Rows and checksum (a sum of md5 slices, as text) of each table, equal on both sides. */
  tables: z.array(z.strictObject({ table: z.string(), rows: z.number().int(), checksum: z.string() })),
  /** How the checksums came out (an online move compares them after its switch; docs/clusters.md). */
  verification: z.strictObject({
    checksums: z.enum(['matched', 'mismatched', 'unverified', 'skipped']),
    /** Tables whose rows or checksum differ. */
    mismatched: z.array(z.string()),
    note: z.string().nullable(),
    /** The source database is kept for comparison: the grace-period job leaves it. */
    sourceKept: z.boolean(),
  }),
  resumed: z.boolean(),
  alreadyMoved: z.boolean(),
});
const abortedSchema = z.strictObject({
  orgId: z.string(),
  status: z.literal('aborted'),
  from: z.string(),
  to: z.string(),
  targetLeftover: z.boolean(),
});
const releasedSourceSchema = z.strictObject({
  orgId: z.string(),
  /** The cluster the kept source database is on. */
  cluster: z.string(),
  moveId: z.number().int(),
});
/** `{to}` answers the move; `{abort: true}` the aborted move; `{releaseSource: true}` the released source. */
export const moveAnswerSchema = z.union([movedSchema, abortedSchema, releasedSourceSchema]);

export const backupSchema = z.strictObject({
  orgId: z.string(),
  file: z.string(),
  cluster: z.string(),
  schemaVersion: z.number().int(),
  tables: z.number().int(),
  rows: z.number().int(),
  takenAt: instant,
  devices: z.array(z.strictObject({ deviceId: z.string(), lastAppliedSeq: z.number().int() })),
});

export const restoredSchema = z.strictObject({
  orgId: z.string(),
  backupOf: z.string(),
  from: z.string(),
  mode: z.enum(['replaced', 'created']),
  cluster: z.string(),
  backupSchemaVersion: z.number().int(),
  schemaVersion: z.number().int(),
  takenAt: instant.nullable(),
  tables: z.number().int(),
  rows: z.number().int(),
  freezeMs: z.number(),
  catalogReannounced: z.number().int(),
  devices: z.array(
    z.strictObject({
      deviceId: z.string(),
      name: z.string().nullable(),
      restoredSeq: z.number().int(),
      previousSeq: z.number().int().nullable(),
      toResend: z.number().int(),
    }),
  ),
  devicesLost: z.array(
    z.strictObject({ deviceId: z.string(), name: z.string().nullable(), previousSeq: z.number().int() }),
  ),
});

export const clusterViewSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(['postgres', 'embedded']),
  region: z.string().nullable(),
  status: z.enum(['active', 'draining']),
  implicit: z.boolean(),
  host: z.string().nullable(),
  tenants: z.number().int(),
  reachable: z.boolean(),
  sizeBytes: z.number().nullable(),
  backends: z.number().int().nullable(),
  maxConnections: z.number().int().nullable(),
  /** Why it is unreachable. */
  error: z.string().optional(),
  schemaBacklog: z.number().int(),
  /** Moves to or from it that this process is running, with the target's replication lag. */
  moves: z.array(
    z.strictObject({
      orgId: z.string(),
      from: z.string(),
      to: z.string(),
      lagBytes: z.number().nullable(),
      step: z.string(),
      /** Milliseconds since the epoch. */
      updatedAt: z.number(),
    }),
  ),
  createdAt: instant,
});
export const clusterListSchema = z.strictObject({ clusters: z.array(clusterViewSchema) });
export const drainedSchema = z.strictObject({
  cluster: z.string(),
  status: z.enum(['active', 'draining']),
  changed: z.boolean(),
});
export const removedClusterSchema = z.strictObject({ cluster: z.string() });

export const fleetReportSchema = z.strictObject({
  generatedAt: instant,
  tenants: z.array(
    z.strictObject({
      orgId: z.string(),
      name: z.string(),
      status: z.string(),
      cluster: z.string(),
      schemaVersion: z.number().int(),
      latestSchemaVersion: z.number().int(),
      sizeBytes: z.number().nullable(),
      currency: z.string().nullable(),
      salesToday: z.strictObject({ count: z.number(), netMinor: z.number() }).nullable(),
      devices: z.number().int().nullable(),
      lastSyncAt: instant.nullable(),
      lastSeenAt: instant.nullable(),
      /** Why this tenant's figures could not be read (its other fields then null). */
      error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
  failed: z.array(z.string()),
});
