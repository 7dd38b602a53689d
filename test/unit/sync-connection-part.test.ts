// The connection part of a sync session (cloud/sync/connection.ts) with a fake message handler over a
// real local socket: replies in the order of requests with one message handled at a time, a flood
// refused `too_many_in_flight` (close 4004), results turned into replies, refusals and internal
// errors, a welcomed device registered for pokes, the hello deadline and the heartbeat's drop.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type ConnectionDeps, MAX_QUEUED, type MessageHandler } from '../../cloud/sync/connection.ts';
import { fatal, type HandlerResult, ok, refused } from '../../cloud/sync/handler-result.ts';
import { Refusal } from '../../cloud/sync/refusal.ts';
import type { SyncSession } from '../../cloud/sync/session-deps.ts';
import { lineLogger } from '../../src/log.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Down, Up } from '../../src/protocol/messages.ts';
import { closeConnectionServers, connectionServer } from '../helpers/connection-server.ts';
import { waitFor } from '../helpers/wait.ts';

const limits = {
  maxFrameBytes: 64 * 1024,
  maxBatchMutations: 10,
  heartbeatMs: 60_000,
  helloTimeoutMs: 60_000,
  pullPageSize: 10,
  lastSeenEveryMs: 60_000,
};

const hello = (protocolVersion = 5): Up => ({
  type: 'hello',
  protocolVersion,
  schemaVersion: 2,
  storeId: randomUUID(),
  pullCursor: 0,
  terminals: [],
});

interface Client {
  ws: WebSocket;
  received: Down[];
  closedWith: Promise<number>;
  send(message: unknown): void;
}

const clients: WebSocket[] = [];
afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await closeConnectionServers();
});

/** A server whose connections use `handler`, and one client connected to it. */
async function connect(
  handler: MessageHandler<ConnectionDeps>,
  options: { limits?: Partial<typeof limits>; deps?: Partial<ConnectionDeps>; autoPong?: boolean } = {},
): Promise<Client & { logs: string[] }> {
  const logs: string[] = [];
  const deps: ConnectionDeps = {
    limits: { ...limits, ...options.limits },
    logger: lineLogger('test', 'debug', (line) => logs.push(line)),
    ...options.deps,
  };
  const port = await connectionServer(deps, handler);
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { autoPong: options.autoPong ?? true });
  clients.push(ws);
  const received: Down[] = [];
  ws.on('message', (data) => received.push(JSON.parse(String(data)) as Down));
  const closedWith = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  await new Promise((r) => ws.once('open', r));
  return { ws, received, closedWith, logs, send: (m) => ws.send(JSON.stringify(m)) };
}

/** A promise with its resolver, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

const pong = (at: number): Down => ({ type: 'pong', at });

describe('the sync connection part', () => {
  it('hands messages to the handler one at a time and replies in their order', async () => {
    const gates = [gate(), gate(), gate()];
    const calls: number[] = [];
    let inHandler = 0;
    let mostInHandler = 0;
    const client = await connect(async (_state, message) => {
      const at = message.type === 'ping' ? (message.at ?? -1) : -1;
      calls.push(at);
      mostInHandler = Math.max(mostInHandler, ++inHandler);
      await gates[at]!.promise;
      inHandler--;
      return ok(pong(at));
    });
    for (const at of [0, 1, 2]) client.send({ type: 'ping', at });
    await waitFor(() => calls.length === 1, 10_000, 'the first message handled');
    // The later messages wait for the first, whatever order their handlers would finish in.
    for (const g of [...gates].reverse()) g.open();
    await waitFor(() => client.received.length === 3, 10_000, 'three replies');
    expect(client.received).toEqual([pong(0), pong(1), pong(2)]);
    expect(calls).toEqual([0, 1, 2]);
    expect(mostInHandler).toBe(1);
  });

  it('answers frames it cannot read without the handler, in turn, and stays open', async () => {
    const calls: Up[] = [];
    const client = await connect(async (_state, message) => {
      calls.push(message);
      return ok(pong(1));
    });
    client.ws.send('not json');
    client.send({ type: 'ping', at: 1 });
    await waitFor(() => client.received.length === 2, 10_000, 'two replies');
    expect(client.received[0]).toMatchObject({ type: 'error', code: 'invalid_message' });
    expect(client.received[1]).toEqual(pong(1));
    expect(calls).toHaveLength(1);
  });

  it(`refuses a connection with more than ${MAX_QUEUED} messages awaiting replies: too_many_in_flight, 4004`, async () => {
    const held = gate();
    let calls = 0;
    const client = await connect(async () => {
      calls++;
      await held.promise;
      return ok(pong(0));
    });
    client.send({ type: 'ping', at: 0 });
    await waitFor(() => calls === 1, 10_000, 'the first message handled');
    for (let i = 1; i <= MAX_QUEUED; i++) client.send({ type: 'ping', at: i });
    expect(await client.closedWith).toBe(closeCodes.protocolError);
    expect(client.received).toEqual([expect.objectContaining({ type: 'error', code: 'too_many_in_flight' })]);
    expect(calls).toBe(1);
    held.open();
  });

  it('turns a refusal into its error and close code, and a fatal result into internal_error', async () => {
    const refusing = await connect(async () =>
      refused(new Refusal('tenant_unavailable', 'down', closeCodes.unavailable, 1234)),
    );
    refusing.send({ type: 'ping' });
    expect(await refusing.closedWith).toBe(closeCodes.unavailable);
    expect(refusing.received).toEqual([
      { type: 'error', code: 'tenant_unavailable', message: 'down', retryAfterMs: 1234 },
    ]);

    const failing = await connect(async () => fatal(new Error('boom')));
    failing.send({ type: 'ping' });
    expect(await failing.closedWith).toBe(closeCodes.unavailable);
    expect(failing.received).toEqual([
      { type: 'error', code: 'internal_error', message: 'internal error', retryAfterMs: 5000 },
    ]);
    expect(failing.logs.some((l) => l.includes('sync: internal error') && l.includes('boom'))).toBe(true);

    // A handler that throws is an internal error too, not a stalled queue.
    const throwing = await connect(async (): Promise<HandlerResult> => {
      throw new Error('thrown');
    });
    throwing.send({ type: 'ping' });
    expect(await throwing.closedWith).toBe(closeCodes.unavailable);
    expect(throwing.received).toMatchObject([{ type: 'error', code: 'internal_error' }]);
  });

  it('registers a welcomed device for pokes, resolutions and revocation, and unregisters it on close', async () => {
    let session: SyncSession | undefined;
    let unsubscribed = 0;
    const events: string[] = [];
    const ready = { orgId: 'org', deviceId: 'dev', branchCode: 'MAIN', currency: 'EUR', protocolVersion: 5 };
    const client = await connect(
      async (state, message) => {
        if (message.type !== 'hello') return ok(pong(state.ready ? 1 : 0));
        return { type: 'ok', replies: [pong(9)], welcomed: { ready, hello: message } };
      },
      {
        deps: {
          onReady: (s) => {
            session = s;
            return () => unsubscribed++;
          },
          observer: {
            deviceConnected: (org, dev) => events.push(`connected ${org} ${dev}`),
            deviceSeen: () => events.push('seen'),
            deviceSynced: () => events.push('synced'),
            deviceGone: (org, dev) => events.push(`gone ${org} ${dev}`),
            batch: () => {},
            journalBreak: () => {},
          },
        },
      },
    );
    client.send(hello());
    client.send({ type: 'ping' });
    await waitFor(() => client.received.length === 2, 10_000, 'the welcome and a pong');
    expect(client.received).toEqual([pong(9), pong(1)]);
    expect(session).toMatchObject({ orgId: 'org', deviceId: 'dev' });
    session!.poke(7);
    session!.resolved();
    await waitFor(() => client.received.length === 4, 10_000, 'a poke and resolved');
    expect(client.received.slice(2)).toEqual([{ type: 'poke', cursor: 7 }, { type: 'resolved' }]);
    session!.revoke();
    expect(await client.closedWith).toBe(closeCodes.unauthorized);
    expect(client.received.at(-1)).toMatchObject({ type: 'error', code: 'unauthorized' });
    await waitFor(() => unsubscribed === 1, 10_000, 'the session unregistered');
    expect(events).toEqual(['connected org dev', 'seen', 'gone org dev']);
  });

  it('closes a socket that says no hello in time (4009)', async () => {
    const client = await connect(async () => ok(), { limits: { helloTimeoutMs: 20 } });
    expect(await client.closedWith).toBe(closeCodes.helloTimeout);
  });

  it('drops a connection that answers no heartbeat', async () => {
    const client = await connect(async () => ok(), { limits: { heartbeatMs: 20 }, autoPong: false });
    // Terminated, not closed: no close frame, so the client sees an abnormal closure.
    expect(await client.closedWith).toBe(1006);
  });
});
