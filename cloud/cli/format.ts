// Human-readable output for the operator commands.
import type { TenantView } from '../tenants/queries.ts';

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

export function tenantRows(tenants: TenantView[]): string[] {
  return formatTable([
    ['ORG', 'STATUS', 'SCHEMA', 'SIZE', 'CLUSTER', 'NAME'],
    ...tenants.map((t) => [
      t.orgId,
      t.status,
      `${t.schemaVersion}/${t.latestSchemaVersion}`,
      formatBytes(t.sizeBytes),
      t.cluster,
      t.name,
    ]),
  ]);
}

export function tenantDetails(t: TenantView): string[] {
  return [
    `org:             ${t.orgId}`,
    `name:            ${t.name}`,
    `status:          ${t.status}`,
    `database:        ${t.database}`,
    `cluster:         ${t.cluster}`,
    `region:          ${t.region ?? '-'}`,
    `schema version:  ${t.schemaVersion} (latest ${t.latestSchemaVersion})`,
    `size:            ${formatBytes(t.sizeBytes)}`,
    `created:         ${t.createdAt}`,
    `updated:         ${t.updatedAt}`,
  ];
}
