// What the operator API under /admin answers (docs/operations.md), as zod schemas: the cloud's
// /openapi.json is generated from them, and tests check real answers against them.
import { z } from 'zod';

const instant = z.string();

export const tenantViewSchema = z.looseObject({
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

const movedSchema = z.looseObject({
  orgId: z.string(),
  from: z.string(),
  to: z.string(),
  method: z.string(),
  fallbackReason: z.string().nullable(),
  freezeMs: z.number().nullable(),
  tables: z.array(z.unknown()),
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
/** `{to}` answers the move; `{abort: true}` the aborted move. */
export const moveAnswerSchema = z.union([movedSchema, abortedSchema]);

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

export const restoredSchema = z.looseObject({
  orgId: z.string(),
  backupOf: z.string(),
  from: z.string(),
  mode: z.enum(['replaced', 'created']),
  cluster: z.string(),
  schemaVersion: z.number().int(),
  tables: z.number().int(),
  rows: z.number().int(),
});

export const clusterViewSchema = z.looseObject({
  name: z.string(),
  kind: z.string(),
  region: z.string().nullable(),
  status: z.string(),
  implicit: z.boolean(),
  host: z.string().nullable(),
  tenants: z.number().int(),
  reachable: z.boolean(),
  sizeBytes: z.number().nullable(),
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
    z.looseObject({
      orgId: z.string(),
      name: z.string(),
      status: z.string(),
      cluster: z.string(),
      schemaVersion: z.number().int(),
      latestSchemaVersion: z.number().int(),
      sizeBytes: z.number().nullable(),
      salesToday: z.strictObject({ count: z.number(), netMinor: z.number() }).nullable(),
      lastSyncAt: instant.nullable(),
    }),
  ),
  failed: z.array(z.string()),
});
