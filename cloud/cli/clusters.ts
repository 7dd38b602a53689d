// `modernpos cluster add NAME --url URL [--region R] | list | show NAME | drain NAME | undrain NAME |
// remove NAME`, each with --json: the same service functions as /admin/clusters.
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import { AppError } from '../../src/errors.ts';
import {
  addCluster,
  type ClusterView,
  listClusterViews,
  removeCluster,
  setDraining,
  showCluster,
} from '../clusters/registry.ts';
import type { TenantContext } from '../tenants/context.ts';
import { formatBytes, formatTable } from './format.ts';
import { openCliPlatform } from './open.ts';

const usage =
  'usage: modernpos cluster add NAME --url URL [--region R] | list | show NAME | drain NAME | undrain NAME | remove NAME [--json]';

async function withTenants<T>(
  args: ParsedArgs,
  io: CliIO,
  fn: (ctx: TenantContext) => Promise<T>,
): Promise<T> {
  const { platform } = await openCliPlatform(args.flags, io, 'cli');
  try {
    return await fn(platform.tenants);
  } finally {
    await platform.close();
  }
}

const backends = (c: ClusterView) => (c.backends === null ? '-' : `${c.backends}/${c.maxConnections ?? '?'}`);

export function clusterRows(clusters: ClusterView[]): string[] {
  return formatTable([
    ['CLUSTER', 'STATUS', 'REGION', 'HOST', 'TENANTS', 'SIZE', 'BACKENDS', 'REACHABLE'],
    ...clusters.map((c) => [
      c.name,
      c.status,
      c.region ?? '-',
      c.host ?? '-',
      String(c.tenants),
      formatBytes(c.sizeBytes),
      backends(c),
      c.reachable ? 'yes' : `no (${c.error ?? 'unknown'})`,
    ]),
  ]);
}

function clusterDetails(c: ClusterView): string[] {
  return [
    `cluster:   ${c.name}${c.implicit ? ' (this deployment’s own)' : ''}`,
    `kind:      ${c.kind}`,
    `status:    ${c.status}`,
    `region:    ${c.region ?? '-'}`,
    `host:      ${c.host ?? '-'}`,
    `tenants:   ${c.tenants}`,
    `size:      ${formatBytes(c.sizeBytes)}`,
    `backends:  ${backends(c)}`,
    `reachable: ${c.reachable ? 'yes' : `no (${c.error ?? 'unknown'})`}`,
  ];
}

export async function runClusterCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [, sub, name] = args.positionals;
  const json = (value: unknown) => io.out(JSON.stringify(value, null, 2));
  const needName = () => {
    if (name === undefined) throw new AppError('invalid_input', usage);
    return name;
  };
  if (sub === 'list') {
    const clusters = await withTenants(args, io, listClusterViews);
    if (args.flags.json) json(clusters);
    else for (const line of clusterRows(clusters)) io.out(line);
    return EXIT.ok;
  }
  if (sub === 'show') {
    const cluster = await withTenants(args, io, (ctx) => showCluster(ctx, needName()));
    if (args.flags.json) json(cluster);
    else for (const line of clusterDetails(cluster)) io.out(line);
    return EXIT.ok;
  }
  if (sub === 'add') {
    const clusterName = needName();
    if (args.flags.url === undefined)
      throw new AppError('invalid_input', 'usage: modernpos cluster add NAME --url URL [--region R]');
    const cluster = await withTenants(args, io, (ctx) =>
      addCluster(ctx, { name: clusterName, url: args.flags.url, region: args.flags.region }),
    );
    if (args.flags.json) json(cluster);
    else
      io.out(
        `Added cluster ${cluster.name} (${cluster.host}${cluster.region ? `, region ${cluster.region}` : ''}); new tenants may be placed on it.`,
      );
    return EXIT.ok;
  }
  if (sub === 'drain' || sub === 'undrain') {
    const clusterName = needName();
    const r = await withTenants(args, io, (ctx) => setDraining(ctx, clusterName, sub === 'drain'));
    if (args.flags.json) json(r);
    else if (r.status === 'draining')
      io.out(
        `Cluster ${r.cluster} is draining${r.changed ? '' : ' already'}: no new tenants are placed on it; its tenants keep working.`,
      );
    else io.out(`Cluster ${r.cluster} takes new tenants${r.changed ? ' again' : ''}.`);
    return EXIT.ok;
  }
  if (sub === 'remove') {
    const clusterName = needName();
    const r = await withTenants(args, io, (ctx) => removeCluster(ctx, clusterName));
    if (args.flags.json) json(r);
    else io.out(`Removed cluster ${r.cluster}; its server and any databases left on it are untouched.`);
    return EXIT.ok;
  }
  throw new AppError('invalid_input', usage);
}
