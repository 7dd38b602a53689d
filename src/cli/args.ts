// Argument parsing for every `modernpos` command: one table of flags, strict (an unknown flag is a
// usage error), and the help text.
import { parseArgs } from 'node:util';
import { AppError } from '../errors.ts';

const stringFlags = [
  'pg-url',
  'data-dir',
  'master-key',
  'previous-master-keys',
  'admin-token',
  'port',
  'backup-dir',
  'max-open-databases',
  'max-tenant-pools',
  'tenant-pool-size',
  'migration-interval',
  'migration-concurrency',
  'control-db',
  'template-db',
  'name',
  'owner-email',
  'timezone',
  'currency',
  'out',
  'export',
  'concurrency',
  'edge-port',
  'edge-host',
  'edge-db',
  'cloud-url',
  'token',
  'branch',
  'synchronous',
  'outbox-retention-days',
  'refund-approval-above',
  'url',
  'region',
  'cluster',
  'to',
  'move-grace-hours',
  'cluster-load-ttl',
  'sync-hello-batch',
  'sync-max-inflight',
  'sync-read-slots',
  'sync-last-seen-gather',
  'from-url',
  'schema',
  'from',
  'as',
  'terminal',
] as const;
const booleanFlags = [
  'json',
  'verbose',
  'yes',
  'all',
  'help',
  'version',
  'once',
  'open-cashier-api',
  'abort',
  'release-source',
  'decommission',
  'replace',
] as const;

export type Flags = Partial<
  Record<(typeof stringFlags)[number], string> & Record<(typeof booleanFlags)[number], boolean>
>;

export interface ParsedArgs {
  positionals: string[];
  flags: Flags;
}

export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(stringFlags.map((f) => [f, { type: 'string' as const }])),
        ...Object.fromEntries(booleanFlags.map((f) => [f, { type: 'boolean' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    });
    return { positionals, flags: values as Flags };
  } catch (err) {
    // parseArgs explains some mistakes over several lines; the first says what is wrong.
    throw new AppError('invalid_input', (err as Error).message.split('\n')[0]!.trim());
  }
}

export const usage = `Usage: modernpos <command> [options]

  dev                                   cloud + demo tenant + one edge agent (what npm start runs)
  cloud                                 run the cloud service
  tenant create ORG --name N [--owner-email E] [--timezone TZ] [--currency CUR]
                [--cluster NAME | --region R] [--json]
                                        without --cluster: the least-loaded cluster not draining
  tenant list [--json]                  every tenant: status, schema version, size, cluster
  tenant show ORG [--json]
  tenant migrate ORG | --all [--concurrency N] [--json]   (--all: N at once per cluster)
  tenant export ORG --out FILE
  tenant offboard ORG [--export FILE] --yes
  tenant backup ORG [--out FILE] [--json]
  tenant restore ORG --from FILE [--replace | --as NEW_ORG] [--cluster NAME] [--json]
  tenant rotate-credentials ORG
  tenant move ORG --to CLUSTER [--json] | ORG --abort | ORG --release-source
                                        move its database to another cluster while it serves
  tenant import ORG --from-url URL --schema SCHEMA [--name N] [--decommission]
                [--cluster NAME | --region R] [--json]
                                        a schema-per-tenant tenant becomes its own database
  cluster add NAME --url URL [--region R]
                                        a PostgreSQL cluster new tenants may be placed on
  cluster list [--json]                 tenants, size, backends, reachable; cluster show NAME
  cluster drain NAME | undrain NAME     stop (or resume) placing new tenants on it
  cluster remove NAME                   refused while it has tenants
  keys rotate                           re-encrypt every tenant DSN and cluster URL under a new key
  device register ORG --branch CODE --name NAME [--json]
                                        register a device; prints its token once
  device revoke ORG DEVICE_ID           its next sync message is refused
  journal verify ORG [--branch B] [--terminal T] [--json]
                                        check each terminal's hash chain against what is stored;
                                        exit 1 names each broken chain's first broken link
  edge --cloud-url URL --token TOKEN [--branch CODE] [--currency CUR] [--timezone TZ]
       [--open-cashier-api]             run an edge agent (cashier API and continuous sync);
                                        sells without the cloud; --open-cashier-api: no cashier
                                        sign-in (integrations; loopback addresses only)
  edge sync --once [--cloud-url URL --token TOKEN] [--json]
                                        nightly mode: push everything, pull everything, exit
  edge journal verify [TERMINAL] [--json]
                                        check the terminals' hash chains; exit 1 if one is broken

Settings (environment variable or flag): --pg-url MODERNPOS_PG_URL, --data-dir MODERNPOS_DATA_DIR,
  --master-key MODERNPOS_MASTER_KEY, --previous-master-keys MODERNPOS_PREVIOUS_MASTER_KEYS,
  --admin-token MODERNPOS_ADMIN_TOKEN, --port PORT, --backup-dir MODERNPOS_BACKUP_DIR,
  --max-open-databases, --max-tenant-pools, --tenant-pool-size, --migration-interval (seconds),
  --migration-concurrency, --control-db MODERNPOS_CONTROL_DB, --template-db MODERNPOS_TEMPLATE_DB,
  --move-grace-hours MODERNPOS_MOVE_GRACE_HOURS (24: a moved tenant's source database is kept so long),
  --cluster-load-ttl MODERNPOS_CLUSTER_LOAD_TTL_SECONDS (30: placement reads each cluster's load so often),
  --sync-hello-batch MODERNPOS_SYNC_HELLO_BATCH (500: most hellos of one tenant answered together; 0: one by one),
  --sync-last-seen-gather MODERNPOS_SYNC_LAST_SEEN_GATHER_SECONDS (10: idle pings' writes gathered per tenant; 0: none),
  --sync-max-inflight MODERNPOS_SYNC_MAX_INFLIGHT_MIB (12: MiB of edges' frames taken in before answered),
  --sync-read-slots MODERNPOS_SYNC_READ_SLOTS (32: sync connections reading a frame at once).
Edge settings: --edge-port MODERNPOS_EDGE_PORT (8081), --edge-host MODERNPOS_EDGE_HOST (0.0.0.0),
  --edge-db MODERNPOS_EDGE_DB (./edge-data/edge.db), --cloud-url MODERNPOS_CLOUD_URL,
  --token MODERNPOS_DEVICE_TOKEN, --branch MODERNPOS_EDGE_BRANCH, --currency MODERNPOS_EDGE_CURRENCY,
  --timezone MODERNPOS_EDGE_TIMEZONE, --synchronous MODERNPOS_EDGE_SYNCHRONOUS (full|normal; full),
  --outbox-retention-days MODERNPOS_EDGE_OUTBOX_RETENTION_DAYS (7),
  --refund-approval-above MODERNPOS_EDGE_REFUND_APPROVAL_ABOVE (minor units; 5000),
  --open-cashier-api MODERNPOS_EDGE_OPEN_CASHIER_API (true|false; false).
Exit status: 0 success, 1 operational failure, 2 bad usage or input. --verbose adds detail to errors.`;
