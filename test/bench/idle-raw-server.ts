// The idle-devices benchmark's raw ceiling: a bare `ws` server in its own process that does only what
// the wire needs — a welcome for a hello, a pong for a ping, a WebSocket ping per socket every
// heartbeat (dropping the silent), and POST /poke?org=X sending a poke to that org's sockets — with
// no tenant, database or logging behind it. Plain JavaScript run by `node -e`, so no loader is measured.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { now, sleep } from './common.ts';

const SCRIPT = `
const http = require('node:http');
const { WebSocketServer } = require('ws');
const heartbeatMs = Number(process.env.HEARTBEAT_MS);
const byOrg = new Map();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const org = url.searchParams.get('org');
  const cursor = Number(url.searchParams.get('cursor'));
  const poke = JSON.stringify({ type: 'poke', cursor });
  for (const ws of byOrg.get(org) ?? []) ws.send(poke);
  res.end('ok');
});
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const org = new URL(req.url, 'http://x').searchParams.get('org');
  wss.handleUpgrade(req, socket, head, (ws) => {
    let lastHeard = Date.now();
    ws.on('message', (data) => {
      lastHeard = Date.now();
      const m = JSON.parse(String(data));
      if (m.type === 'hello') {
        const set = byOrg.get(org) ?? new Set();
        set.add(ws);
        byOrg.set(org, set);
        ws.send(JSON.stringify({ type: 'welcome', protocolVersion: m.protocolVersion, orgId: org, heartbeatMs }));
      } else if (m.type === 'ping') ws.send(JSON.stringify({ type: 'pong', at: m.at }));
    });
    ws.on('pong', () => { lastHeard = Date.now(); });
    const heartbeat = setInterval(() => {
      if (Date.now() - lastHeard > 2 * heartbeatMs) ws.terminate();
      else ws.ping();
    }, heartbeatMs);
    ws.on('close', () => { clearInterval(heartbeat); byOrg.get(org)?.delete(ws); });
    ws.on('error', () => {});
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening on ' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

export interface RawServer {
  pid: number;
  url: string;
  poke(orgId: string, cursor: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRawServer(heartbeatMs: number): Promise<RawServer> {
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT], {
    cwd,
    env: { PATH: process.env.PATH, HEARTBEAT_MS: String(heartbeatMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = now() + 15_000;
  const port = () => /listening on (\d+)/.exec(output)?.[1];
  while (!port()) {
    if (child.exitCode !== null || now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the raw ws server did not start: ${output.slice(-500)}`);
    }
    await sleep(20);
  }
  const url = `http://127.0.0.1:${port()}`;
  return {
    pid: child.pid!,
    url,
    async poke(orgId, cursor) {
      await (
        await fetch(`${url}/poke?org=${encodeURIComponent(orgId)}&cursor=${cursor}`, { method: 'POST' })
      ).text();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
