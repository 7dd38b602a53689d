// `modernpos dev` (what `npm start` runs): the cloud on the embedded engine (or MODERNPOS_PG_URL), the
// demo tenant, and one edge agent for its branch MAIN syncing with it — all in this process, found
// again on the next start. Prints the URLs, the HQ login and two ready `curl`s: a sale at the edge
// and the HQ report it shows up in. Ctrl-C stops the edge, then the cloud.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { startCliCloud } from '../../cloud/cli/commands.ts';
import { ensureDemoTenant, registerDemoTill } from '../../cloud/tenants/demo.ts';
import { startAgent } from '../../edge/cli/commands.ts';
import { readDeviceToken, resolveEdgeConfig } from '../../edge/config.ts';
import type { EdgeStore } from '../../edge/store/store.ts';
import type { ParsedArgs } from './args.ts';
import { type CliIO, EXIT } from './io.ts';

/** Resolves true once the edge has completed a sync pass since `since`, false after `timeoutMs`. */
async function firstSync(store: EdgeStore, since: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const at = store.meta.get('last_sync_at');
    if (at !== undefined && at >= since) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export async function runDev(args: ParsedArgs, io: CliIO): Promise<number> {
  const cloud = await startCliCloud(args, io, 'dev');
  try {
    const demo = await ensureDemoTenant(cloud.platform.tenants, cloud.server.resolver, cloud.config.dataDir);
    const edgeDb = io.env.MODERNPOS_EDGE_DB ?? join(cloud.config.dataDir, 'demo-edge', 'edge.db');
    if (demo.created && existsSync(edgeDb)) {
      // A till of an earlier demo tenant (another engine or cluster): its token and sales are not
      // this tenant's. Kept aside, not deleted.
      const suffix = `.old-${Date.now()}`;
      for (const f of [edgeDb, `${edgeDb}-wal`, `${edgeDb}-shm`, `${edgeDb}.token`]) {
        if (existsSync(f)) renameSync(f, `${f}${suffix}`);
      }
      io.err(`The demo tenant is new; the earlier demo till's files were renamed to ${edgeDb}*${suffix}`);
    }
    const token = readDeviceToken(edgeDb) ?? (await registerDemoTill(cloud.server.resolver));
    const edgeConfig = resolveEdgeConfig(io.env, {
      ...args.flags,
      'cloud-url': cloud.server.url,
      token,
      branch: 'MAIN',
      currency: demo.currency,
      timezone: demo.timeZone,
      'edge-db': edgeDb,
    });
    mkdirSync(join(edgeDb, '..'), { recursive: true, mode: 0o700 });
    const started = new Date().toISOString();
    const edge = await startAgent(edgeConfig, io);
    try {
      // The printed sale names a catalog product: wait for the edge's first sync to bring the catalog.
      if (!(await firstSync(edge.store, started, 30_000))) {
        io.err('The edge has not synced with the cloud yet; the sale below needs its catalog (see the log).');
      }
      const sale = JSON.stringify({
        terminal: 'T1',
        lines: [{ sku: 'COFFEE', qtyMilli: 1000 }],
        payments: [{ method: 'cash', amountMinor: 500 }],
      });
      // The demo cashier signed in for this run, like the HQ session below (PINs are checked offline
      // against what the edge pulled, so this needs the first sync).
      const signedIn = await edge.store.cashierSessions.signIn(demo.cashier);
      if (!signedIn.ok) io.err(`The demo cashier could not sign in yet: ${signedIn.error.message}`);
      const cashierToken = signedIn.ok ? signedIn.value.token : '<token from the sign-in below>';
      io.out('');
      io.out(`Demo tenant "${demo.orgId}" (${demo.name}, ${demo.currency}, ${demo.timeZone}), branch MAIN`);
      io.out(`HQ login: POST ${cloud.server.url}/v1/orgs/${demo.orgId}/sessions`);
      io.out(
        `  email ${demo.ownerEmail}  password ${demo.ownerPassword}  (kept in ${cloud.config.dataDir}/demo-login.json)`,
      );
      io.out(`HQ dashboard (sign in with that login): ${cloud.server.url}/`);
      io.out(`Operator console (the admin token): ${cloud.server.url}/admin`);
      io.out('');
      io.out(`Register (the cashier's page, served by the edge): ${edge.url}/`);
      io.out(
        `Demo cashier: code ${demo.cashier.code}  PIN ${demo.cashier.pin}  terminal ${demo.cashier.terminal}  (kept in ${cloud.config.dataDir}/demo-cashier.json)`,
      );
      io.out(
        `  sign in: POST ${edge.url}/v1/cashier-sessions with that file as the body; the token below is a session made for this run (12 h)`,
      );
      io.out('Record a sale at the edge as the demo cashier (it works with the cloud stopped, too):');
      io.out(
        `  curl -X POST ${edge.url}/v1/sales -H 'Authorization: Bearer ${cashierToken}' -H 'content-type: application/json' -d '${sale}'`,
      );
      io.out('Read it back from the HQ sales report (the token is a session made for this run, 12 h):');
      io.out(
        `  curl -H 'Authorization: Bearer ${demo.hqToken}' '${cloud.server.url}/v1/reports/sales?groupBy=branch'`,
      );
      io.out('');
      io.out('Ctrl-C stops the edge and the cloud; the next start finds everything again.');
      const signal = await io.waitForStop();
      io.err(`received ${signal}; shutting down`);
    } finally {
      await edge.stop();
    }
  } finally {
    await cloud.stop();
  }
  io.err('stopped');
  return EXIT.ok;
}
