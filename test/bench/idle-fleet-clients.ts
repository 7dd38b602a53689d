// The idle-devices benchmark's devices: raw protocol WebSocket clients (no edge store: 10,000 SQLite
// stores and sync loops in one process would measure the bench, not the cloud). Each says hello as
// an edge with an empty outbox does, answers the cloud's WebSocket pings (ws does it), sends an
// application `ping` every heartbeat as the edge's sync loop does, and records the pokes it gets.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../src/protocol/version.ts';
import { now, sleep } from './common.ts';

export interface IdleClient {
  orgId: string;
  token: string;
  storeId: string;
  ws: WebSocket | undefined;
  welcomedAt: number | undefined;
  /** When each poke arrived, by cursor (the first one). */
  pokes: Map<number, number>;
  heartbeat: NodeJS.Timeout | undefined;
  /** Refusals seen (by code) while connecting. */
  refusals: Map<string, number>;
}

export const newClient = (orgId: string, token: string): IdleClient => ({
  orgId,
  token,
  storeId: randomUUID(),
  ws: undefined,
  welcomedAt: undefined,
  pokes: new Map(),
  heartbeat: undefined,
  refusals: new Map(),
});

const backlog = { pending: 0, oldestPendingAgeSeconds: null };

/**
 * Connects once and says hello; resolves true when welcomed, false when refused or dropped (the
 * refusal's `retryAfterMs`, or 0, is handed to `retry`).
 */
function connectOnce(
  client: IdleClient,
  baseUrl: string,
  schemaVersion: number,
  heartbeatMs: number,
): Promise<{ welcomed: boolean; retryAfterMs: number }> {
  return new Promise((resolve) => {
    const url = `${baseUrl.replace(/^http/, 'ws')}/v1/sync?org=${encodeURIComponent(client.orgId)}`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${client.token}` } });
    client.ws = ws;
    let settled = false;
    let retryAfterMs = 0;
    const settle = (welcomed: boolean) => {
      if (settled) return;
      settled = true;
      resolve({ welcomed, retryAfterMs });
    };
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocolVersion: PROTOCOL_VERSION,
          schemaVersion,
          storeId: client.storeId,
          pullCursor: 0,
          terminals: ['T1'],
          agent: 'bench idle client',
          backlog,
        }),
      );
    });
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        type: string;
        cursor?: number;
        code?: string;
        retryAfterMs?: number;
      };
      if (message.type === 'welcome') {
        client.welcomedAt = now();
        // As the edge's sync loop: an application ping every heartbeat, with its (empty) backlog.
        client.heartbeat = setInterval(() => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'ping', at: Date.now(), backlog }));
        }, heartbeatMs);
        settle(true);
      } else if (message.type === 'poke') {
        if (!client.pokes.has(message.cursor ?? 0)) client.pokes.set(message.cursor ?? 0, now());
      } else if (message.type === 'error') {
        client.refusals.set(message.code ?? '?', (client.refusals.get(message.code ?? '?') ?? 0) + 1);
        retryAfterMs = message.retryAfterMs ?? 0;
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      clearInterval(client.heartbeat);
      client.heartbeat = undefined;
      if (client.ws === ws) client.ws = undefined;
      settle(false);
    });
  });
}

/** Connects until welcomed (after a refusal, waits its `retryAfterMs` or 0.5–1.5 s), at most until `deadline`. */
export async function connectClient(
  client: IdleClient,
  baseUrl: string,
  schemaVersion: number,
  heartbeatMs: number,
  deadline: number,
): Promise<void> {
  client.welcomedAt = undefined;
  while (now() < deadline) {
    const { welcomed, retryAfterMs } = await connectOnce(client, baseUrl, schemaVersion, heartbeatMs);
    if (welcomed) return;
    await sleep(retryAfterMs || 500 + Math.random() * 1_000);
  }
  throw new Error(
    `a device of ${client.orgId} was not welcomed in time (${[...client.refusals].join(', ')})`,
  );
}

/** Connects every client, at most `limit` handshakes at a time (Infinity: all at once); returns the wall time. */
export async function connectAll(
  clients: readonly IdleClient[],
  baseUrl: string,
  schemaVersion: number,
  heartbeatMs: number,
  options: { limit: number; timeoutMs: number },
): Promise<number> {
  const start = now();
  const deadline = start + options.timeoutMs;
  let next = 0;
  const worker = async () => {
    while (next < clients.length)
      await connectClient(clients[next++]!, baseUrl, schemaVersion, heartbeatMs, deadline);
  };
  await Promise.all(Array.from({ length: Math.min(options.limit, clients.length) }, worker));
  return now() - start;
}

/** Resolves once every client's socket is closed (after the server went away, or `closeAll`). */
export async function allClosed(clients: readonly IdleClient[], timeoutMs: number): Promise<void> {
  const deadline = now() + timeoutMs;
  while (clients.some((c) => c.ws !== undefined)) {
    if (now() > deadline) throw new Error('some devices did not see their connection close');
    await sleep(50);
  }
}

/** Closes every client's socket (no reconnect follows) and waits for the closes. */
export async function closeAll(clients: readonly IdleClient[]): Promise<void> {
  for (const c of clients) c.ws?.terminate();
  await allClosed(clients, 30_000);
}
