// What the tenant-move suites share: a TCP relay in front of a cluster that can be cut (the cluster
// "goes down" for the cloud's connections), and the teardown of what moves leave on the clusters
// (subscriptions and replication slots block DROP DATABASE).
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { quoteIdent } from '../../src/db/sql.ts';
import { dropClusterLeftovers, onCluster } from './clusters.ts';

export interface CuttableRelay {
  /** `url` with the relay's host and port. */
  url: string;
  /** Ends every connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startCuttableRelay(url: string): Promise<CuttableRelay> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const relayed = new URL(url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String(port);
  return {
    url: relayed.toString(),
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Drops moves' subscriptions and slots for `orgIds` on `url`, then their databases and roles and the template. */
export async function dropMoveLeftovers(url: string, templateDatabase: string, orgIds: readonly string[]) {
  await onCluster(url, async (c) => {
    for (const orgId of orgIds) {
      const name = `mpmove_${orgId}`;
      const subs = await c.query<{ datname: string }>(
        'SELECT d.datname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE s.subname = $1',
        [name],
      );
      for (const { datname } of subs.rows) {
        await onCluster(
          (() => {
            const u = new URL(url);
            u.pathname = `/${datname}`;
            return u.toString();
          })(),
          async (db) => {
            await db.query(`ALTER SUBSCRIPTION ${quoteIdent(name)} DISABLE`);
            await db.query(`ALTER SUBSCRIPTION ${quoteIdent(name)} SET (slot_name = NONE)`);
            await db.query(`DROP SUBSCRIPTION ${quoteIdent(name)}`);
          },
        );
      }
      const slots = await c.query<{ active_pid: number | null }>(
        'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
        [name],
      );
      for (const s of slots.rows)
        if (s.active_pid) await c.query('SELECT pg_terminate_backend($1)', [s.active_pid]);
      for (let i = 0; i < 50; i++) {
        try {
          await c.query(
            'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
            [name],
          );
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  });
  await dropClusterLeftovers(url, templateDatabase, orgIds);
}
