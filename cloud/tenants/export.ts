// `tenant export`: every table of a tenant database, read in one snapshot, as a .tar.gz holding one
// NDJSON file per table and a manifest (schema version, columns, row counts). People can read it
// with `tar xzf`; a restore can load it. Written beside the target and renamed, never half-written.
import { once } from 'node:events';
import {
  closeSync,
  createWriteStream,
  existsSync,
  linkSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { create as createTar } from 'tar';
import { quoteIdent, type SqlQueryable } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError } from '../../src/errors.ts';
import { audit } from '../control/audit.ts';
import { getOrganization } from '../control/organizations.ts';
import { engineOf, type TenantContext } from './context.ts';
import { requireOrgId } from './validate.ts';

export const EXPORT_FORMAT = 'modernpos-tenant-export';
export const EXPORT_FORMAT_VERSION = 1;

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  orgId: string;
  name: string;
  schemaVersion: number;
  exportedAt: string;
  tables: {
    name: string;
    file: string;
    rows: number;
    columns: { name: string; type: string; nullable: boolean }[];
  }[];
  /** Each device's last applied seq in the snapshot (what a restore rewinds its edges to). */
  devices: { deviceId: string; lastAppliedSeq: number }[];
}

const FETCH = 1000;

export async function exportTenant(
  ctx: TenantContext,
  orgIdInput: string,
  outFile: string,
  options: { action?: string } = {},
): Promise<ExportManifest & { file: string }> {
  const orgId = requireOrgId(orgIdInput);
  const org = await getOrganization(ctx.control, orgId);
  if (!org) throw new AppError('not_found', `organization ${orgId} not found`);
  const database = tenantDatabaseName(orgId);
  const engine = await engineOf(ctx, org);
  if (!(await engine.databaseExists(database))) {
    throw new AppError('conflict', `organization ${orgId} has no database to export (status ${org.status})`);
  }
  const target = resolve(outFile);
  checkExportTarget(target);
  const work = mkdtempSync(join(tmpdir(), 'modernpos-export-'));
  try {
    const db = engine.openDatabase(database);
    const manifest = await db
      .transaction(async (tx) => {
        await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        const schemaVersion = await tenantSchemaVersion(tx);
        const tables: ExportManifest['tables'] = [];
        for (const table of await listTables(tx)) tables.push(await dumpTable(tx, table, work));
        const devices = await tx.query<{ id: string; last: unknown }>(
          'SELECT id, last_applied_seq AS last FROM devices ORDER BY id',
        );
        return {
          format: EXPORT_FORMAT,
          formatVersion: EXPORT_FORMAT_VERSION,
          orgId,
          name: org.name,
          schemaVersion,
          exportedAt: new Date().toISOString(),
          tables,
          devices: devices.map((d) => ({ deviceId: d.id, lastAppliedSeq: Number(d.last) })),
        } satisfies ExportManifest;
      })
      .finally(() => db.close());
    writeFileSync(join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const partial = join(dirname(target), `.${process.pid}-${Date.now()}.partial`);
    // Made 0600 before anything is written into it: exports hold password hashes and customer data.
    closeSync(openSync(partial, 'wx', 0o600));
    try {
      await createTar({ gzip: true, file: partial, cwd: work, portable: true }, [
        'manifest.json',
        ...manifest.tables.map((t) => t.file),
      ]);
      try {
        linkSync(partial, target); // unlike rename, fails if the target appeared meanwhile: never overwrite
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new AppError(
            'conflict',
            `${target} already exists; choose another file (exports never overwrite)`,
          );
        }
        throw err;
      }
    } finally {
      rmSync(partial, { force: true });
    }
    await audit(ctx.control, {
      actor: ctx.actor,
      action: options.action ?? 'tenant.exported',
      orgId,
      details: {
        file: target,
        tables: manifest.tables.length,
        rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
      },
    });
    return { ...manifest, file: target };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Refuses, before any work, a target that exists (never overwritten) or whose folder does not. */
function checkExportTarget(target: string): void {
  if (existsSync(target)) {
    throw new AppError('conflict', `${target} already exists; choose another file (exports never overwrite)`);
  }
  const folder = dirname(target);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new AppError('invalid_input', `cannot write ${target}: folder ${folder} does not exist`);
  }
}

/** The tenant schema version the database `tx` is on (0 when no tenant migration was applied). */
export async function tenantSchemaVersion(tx: SqlQueryable): Promise<number> {
  const [version] = await tx.query<{ v: number | null }>(
    "SELECT max(version) AS v FROM schema_migrations WHERE component = 'tenant'",
  );
  return Number(version?.v ?? 0);
}

export async function listTables(tx: SqlQueryable): Promise<string[]> {
  const rows = await tx.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

export async function dumpTable(
  tx: SqlQueryable,
  table: string,
  dir: string,
): Promise<ExportManifest['tables'][number]> {
  const columns = await tx.query<{ column_name: string; data_type: string; is_nullable: string }>(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  const file = `${table}.ndjson`;
  const out = createWriteStream(join(dir, file));
  const cursor = quoteIdent(`export_${table}`);
  let rows = 0;
  try {
    await tx.exec(
      `DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT to_jsonb(t) AS r FROM ${quoteIdent(table)} t`,
    );
    for (;;) {
      const batch = await tx.query<{ r: unknown }>(`FETCH ${FETCH} FROM ${cursor}`);
      for (const { r } of batch) {
        const line = `${typeof r === 'string' ? r : JSON.stringify(r)}\n`;
        if (!out.write(line)) await once(out, 'drain');
      }
      rows += batch.length;
      if (batch.length < FETCH) break;
    }
    await tx.exec(`CLOSE ${cursor}`);
  } finally {
    out.end();
    await once(out, 'close');
  }
  return {
    name: table,
    file,
    rows,
    columns: columns.map((c) => ({
      name: c.column_name,
      type: c.data_type,
      nullable: c.is_nullable === 'YES',
    })),
  };
}
