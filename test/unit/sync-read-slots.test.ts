// The read slots (cloud/sync/read-slots.ts): how many sync connections may be part-way through a
// frame at once. Alone: slots handed out, then to the longest waiting; a released wait is dropped.
// On real sockets (the connection part, connection.ts, with a raw WebSocket client that can stop
// half-way through a frame): a second connection's large frame is not read past its first chunk
// while the only slot is taken, is read once the first frame completes, and both are answered;
// control frames give the slot back, except between a fragmented message's fragments; a connection
// that closes while waiting passes its turn on.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type Socket, connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionDeps } from '../../cloud/sync/connection.ts';
import { type HandlerResult, ok } from '../../cloud/sync/handler-result.ts';
import { createIntake, type Intake } from '../../cloud/sync/intake.ts';
import { createReadSlots, type ReadSlots, type SlotReader } from '../../cloud/sync/read-slots.ts';
import { lineLogger } from '../../src/log.ts';
import type { Up } from '../../src/protocol/messages.ts';
import { closeConnectionServers, connectionServer } from '../helpers/connection-server.ts';
import { hello } from '../helpers/sync.ts';
import { waitFor } from '../helpers/wait.ts';

const reader = (log: string[], name: string): SlotReader => ({ granted: () => log.push(name) });

describe('read slots', () => {
  it('hands out slots, then queues readers and grants the longest waiting first', () => {
    const slots = createReadSlots(2);
    const granted: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => reader(granted, n)) as SlotReader[];
    expect(slots.acquire(a!)).toBe(true);
    expect(slots.acquire(a!)).toBe(true); // holding one already
    expect(slots.acquire(b!)).toBe(true);
    expect(slots.acquire(c!)).toBe(false);
    expect(slots.acquire(d!)).toBe(false);
    expect(slots.acquire(c!)).toBe(false); // still waiting, not queued twice
    expect(slots.stats()).toEqual({ slots: 2, reading: 2, waiting: 2, waited: 2 });
    slots.release(b!);
    expect(granted).toEqual(['c']);
    slots.release(d!); // gives up its wait
    slots.release(a!);
    expect(granted).toEqual(['c']);
    expect(slots.stats()).toEqual({ slots: 2, reading: 1, waiting: 0, waited: 2 });
    slots.release(c!);
    slots.release(c!); // twice is harmless
    expect(slots.stats().reading).toBe(0);
  });

  it('refuses a count that is not a whole number of at least one', () => {
    expect(() => createReadSlots(0)).toThrow(/whole number/);
    expect(() => createReadSlots(1.5)).toThrow(/whole number/);
  });
});

/** A WebSocket client on a bare TCP socket: it can send a frame's bytes in as many parts as it likes. */
interface RawClient {
  socket: Socket;
  /** The bytes of one masked text frame carrying `text`. */
  frame(text: string): Buffer;
  /** A masked ping control frame. */
  ping(): Buffer;
  /** One fragment of a text message: the first (a text frame) or a continuation, the last when `fin`. */
  fragment(text: string, place: { first: boolean; fin: boolean }): Buffer;
  /** Bytes the server has sent since the upgrade (pongs, replies). */
  readonly received: number;
}

async function rawClient(port: number): Promise<RawClient> {
  const socket = tcpConnect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  let head = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101') && head.includes(accept)) resolve();
      else reject(new Error(`no upgrade: ${head}`));
    };
    socket.on('data', onData);
  });
  // What the server sends from here on is counted, not read.
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  const masked = (opcode: number, payload: Buffer, fin = true) => {
    const mask = randomBytes(4);
    const length = payload.length;
    const first = (fin ? 0x80 : 0) | opcode;
    const header =
      length < 126
        ? Buffer.from([first, 0x80 | length])
        : length < 65_536
          ? Buffer.concat([Buffer.from([first, 0x80 | 126]), u16(length)])
          : Buffer.concat([Buffer.from([first, 0x80 | 127]), u64(length)]);
    const body = Buffer.from(payload);
    for (let i = 0; i < body.length; i++) body[i]! ^= mask[i % 4]!;
    return Buffer.concat([header, mask, body]);
  };
  return {
    socket,
    frame: (text) => masked(0x1, Buffer.from(text)),
    ping: () => masked(0x9, Buffer.alloc(0)),
    fragment: (text, place) => masked(place.first ? 0x1 : 0x0, Buffer.from(text), place.fin),
    get received() {
      return received;
    },
  };
}
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

const helloText = () => JSON.stringify(hello());

/** A ping message padded with JSON whitespace to `bytes`: several socket reads' worth. */
const bigPing = (at: number, bytes: number) => {
  const text = JSON.stringify({ type: 'ping', at });
  return text + ' '.repeat(bytes - text.length);
};

const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await closeConnectionServers();
});

/**
 * A server whose connections share `slots` (and `intake`); a hello is welcomed, a ping's handling
 * waits for `gate` when given. Returns its port and the pings handled, in order.
 */
async function server(
  slots: ReadSlots,
  options: { helloTimeoutMs?: number; intake?: Intake; gate?: Promise<void> } = {},
): Promise<{ port: number; handled: number[] }> {
  const handled: number[] = [];
  const deps: ConnectionDeps = {
    limits: {
      maxFrameBytes: 1024 * 1024,
      maxBatchMutations: 10,
      heartbeatMs: 60_000,
      helloTimeoutMs: options.helloTimeoutMs ?? 60_000,
      pullPageSize: 10,
      lastSeenEveryMs: 60_000,
    },
    logger: lineLogger('test', 'silent', () => {}),
    readSlots: slots,
    ...(options.intake ? { intake: options.intake } : {}),
  };
  const port = await connectionServer(
    deps,
    async (_state, message: Up): Promise<HandlerResult> => {
      if (message.type === 'hello') {
        const ready = {
          orgId: 'org',
          deviceId: randomUUID(),
          branchCode: 'MAIN',
          currency: 'EUR',
          protocolVersion: 5,
        };
        return { type: 'ok', replies: [], welcomed: { ready, hello: message } };
      }
      handled.push(message.type === 'ping' ? (message.at ?? -1) : -1);
      await options.gate;
      return ok({ type: 'pong', at: 0 });
    },
    { maxPayload: 4 * 1024 * 1024, watchSocket: true },
  );
  return { port, handled };
}

/**
 * `count` welcomed clients of a server with an intake of one byte, whose pings wait in their handler
 * until `open`: the first client's ping (at 1) is in its handler, so the intake is full.
 */
async function fullIntake(slots: ReadSlots, count: number) {
  const intake = createIntake(1);
  let open = () => {};
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const { port, handled } = await server(slots, { intake, gate });
  const clients: RawClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await rawClient(port));
  for (const x of clients) x.socket.write(x.frame(helloText()));
  await waitFor(
    () => intake.stats().inFlight === 0 && intake.stats().peakInFlight > 0,
    10_000,
    'all welcomed',
  );
  clients[0]!.socket.write(clients[0]!.frame(bigPing(1, 100)));
  await waitFor(() => handled.length === 1, 10_000, "the first client's ping in its handler");
  return { slots, intake, open, port, handled, clients };
}

describe('read slots on a sync connection', () => {
  it("reads a second connection's large frame only once the first connection's frame is complete", async () => {
    const slots = createReadSlots(1);
    const { port, handled } = await server(slots);
    const a = await rawClient(port);
    const b = await rawClient(port);
    const frameA = a.frame(bigPing(1, 300_000));
    const frameB = b.frame(bigPing(2, 300_000));
    // A stops part-way: it holds the only slot.
    a.socket.write(frameA.subarray(0, 100_000));
    await waitFor(() => slots.stats().reading === 1, 10_000, 'A reading');
    // B sends all of its frame: its first chunk is read, then it waits for the slot, unread.
    b.socket.write(frameB);
    await waitFor(() => slots.stats().waiting === 1, 10_000, 'B waiting for a slot');
    expect(handled).toEqual([]);
    // A completes: the slot passes to B, which is read to its end.
    a.socket.write(frameA.subarray(100_000));
    await waitFor(() => handled.length === 2, 10_000, 'both frames handled');
    expect(handled).toEqual([1, 2]);
    expect(slots.stats()).toMatchObject({ reading: 0, waiting: 0, waited: 1 });
  });

  it('gives the slot back after a control frame, so an idle connection holds none', async () => {
    const slots = createReadSlots(1);
    const { port, handled } = await server(slots);
    const idle = await rawClient(port);
    idle.socket.write(idle.ping());
    const busy = await rawClient(port);
    busy.socket.write(busy.frame(bigPing(7, 200_000)));
    await waitFor(() => handled.length === 1, 10_000, 'the busy frame handled');
    expect(handled).toEqual([7]);
    expect(slots.stats()).toMatchObject({ reading: 0, waiting: 0 });
  });

  it('keeps the slot through a fragmented message: a ping between its fragments gives nothing back', async () => {
    const slots = createReadSlots(1);
    const { port, handled } = await server(slots);
    const a = await rawClient(port);
    const b = await rawClient(port);
    const text = bigPing(1, 300_000);
    // A's message in two fragments, a ping between them: the ping is answered (a pong), the
    // message's first half stays held, and so does A's slot.
    a.socket.write(
      Buffer.concat([a.fragment(text.slice(0, 150_000), { first: true, fin: false }), a.ping()]),
    );
    await waitFor(() => a.received > 0, 10_000, "A's ping answered");
    expect(slots.stats()).toMatchObject({ reading: 1, waiting: 0 });
    b.socket.write(b.frame(bigPing(2, 300_000)));
    await waitFor(() => slots.stats().waiting === 1, 10_000, 'B waiting for the slot');
    expect(handled).toEqual([]);
    a.socket.write(a.fragment(text.slice(150_000), { first: false, fin: true }));
    await waitFor(() => handled.length === 2, 10_000, 'both messages handled');
    expect(handled).toEqual([1, 2]);
    expect(slots.stats()).toMatchObject({ reading: 0, waiting: 0 });
  });

  it('passes the turn of a connection that closed while it waited on to the next', async () => {
    const slots = createReadSlots(1);
    const { port, handled } = await server(slots);
    const a = await rawClient(port);
    const gone = await rawClient(port);
    const c = await rawClient(port);
    const frameA = a.frame(bigPing(1, 300_000));
    a.socket.write(frameA.subarray(0, 100_000));
    await waitFor(() => slots.stats().reading === 1, 10_000, 'A reading');
    // Half a frame, then gone: nothing of it is ever complete.
    gone.socket.write(gone.frame(bigPing(2, 300_000)).subarray(0, 150_000));
    await waitFor(() => slots.stats().waiting === 1, 10_000, 'the second waiting');
    c.socket.write(c.frame(bigPing(3, 300_000)));
    await waitFor(() => slots.stats().waiting === 2, 10_000, 'the third waiting');
    // A paused socket does not read its peer's close: the slot comes to it, it reads the close and
    // gives the slot on.
    gone.socket.destroy();
    a.socket.write(frameA.subarray(100_000));
    await waitFor(() => handled.length === 2, 10_000, 'A and the third handled');
    expect(handled).toEqual([1, 3]);
    expect(slots.stats()).toMatchObject({ reading: 0, waiting: 0 });
  });

  it('ends a turn that lasts too long: a stalled frame queues again and the next connection reads', async () => {
    const slots = createReadSlots(1, 200);
    const { port, handled } = await server(slots);
    const stalled = await rawClient(port);
    const next = await rawClient(port);
    const frameS = stalled.frame(bigPing(1, 300_000));
    stalled.socket.write(frameS.subarray(0, 100_000));
    await waitFor(() => slots.stats().reading === 1, 10_000, 'the stalled one reading');
    next.socket.write(next.frame(bigPing(2, 300_000)));
    // The stalled frame's turn ends; the other frame is read and handled while it stays unfinished.
    await waitFor(() => handled.length === 1, 10_000, 'the second frame handled');
    expect(handled).toEqual([2]);
    stalled.socket.write(frameS.subarray(100_000));
    await waitFor(() => handled.length === 2, 10_000, 'the stalled frame handled once it is complete');
    expect(handled).toEqual([2, 1]);
  });

  it('gives the slot on when a connection waiting for it is closed (its hello deadline)', async () => {
    const slots = createReadSlots(1);
    const { port, handled } = await server(slots, { helloTimeoutMs: 1_000 });
    const a = await rawClient(port);
    const silent = await rawClient(port);
    const c = await rawClient(port);
    a.socket.write(a.frame(helloText()));
    c.socket.write(c.frame(helloText()));
    const frameA = a.frame(bigPing(1, 300_000));
    a.socket.write(frameA.subarray(0, 100_000));
    await waitFor(() => slots.stats().reading === 1, 10_000, 'A reading');
    // No hello: closed by its deadline while it waits for the slot.
    silent.socket.write(silent.frame(bigPing(2, 300_000)));
    await waitFor(() => slots.stats().waiting === 1, 10_000, 'the silent one waiting');
    await waitFor(() => slots.stats().waiting === 0, 10_000, 'the silent one closed, out of the line');
    c.socket.write(c.frame(bigPing(3, 300_000)));
    await waitFor(() => slots.stats().waiting === 1, 10_000, 'C waiting');
    a.socket.write(frameA.subarray(100_000));
    await waitFor(() => handled.length === 2, 10_000, 'A and C handled');
    expect(handled).toEqual([1, 3]);
  });

  it('keeps the slot of a frame part-read, and the line, when the full intake sleeps', async () => {
    const { slots, intake, open, handled, clients } = await fullIntake(createReadSlots(1), 3);
    const [a, b, c] = clients as [RawClient, RawClient, RawClient];
    // B holds the slot part-way through a frame; C waits for it.
    const frameB = b.frame(bigPing(2, 300_000));
    b.socket.write(frameB.subarray(0, 100_000));
    await waitFor(() => slots.stats().reading === 1, 10_000, 'B reading');
    c.socket.write(c.frame(bigPing(4, 300_000)));
    await waitFor(() => slots.stats().waiting === 1, 10_000, 'C waiting for the slot');
    // The intake fills and everyone sleeps: B keeps its slot (its half frame stays the only one
    // part-read), C its place; nothing more is read until the intake has room.
    a.socket.write(a.frame(bigPing(3, 100)));
    await waitFor(() => intake.stats().waiting === 1, 10_000, "A's second frame waiting: everyone asleep");
    expect(slots.stats()).toMatchObject({ reading: 1, waiting: 1 });
    b.socket.write(frameB.subarray(100_000));
    open();
    await waitFor(() => handled.length === 4, 10_000, 'every frame handled');
    expect(handled).toEqual([1, 3, 2, 4]);
    expect(slots.stats()).toMatchObject({ reading: 0, waiting: 0 });
  });

  it('does not end the turn of a frame whose connection the intake put to sleep', async () => {
    const { slots, intake, open, handled, clients, port } = await fullIntake(createReadSlots(1, 200), 2);
    const [a, b] = clients as [RawClient, RawClient];
    const frameB = b.frame(bigPing(2, 300_000));
    b.socket.write(frameB.subarray(0, 100_000));
    await waitFor(() => slots.stats().reading === 1, 10_000, 'B reading');
    a.socket.write(a.frame(bigPing(3, 100)));
    await waitFor(() => intake.stats().waiting === 1, 10_000, "A's second frame waiting: everyone asleep");
    // A connection the intake does not hold back (no hello yet) waits for the slot.
    const newcomer = await rawClient(port);
    newcomer.socket.write(newcomer.frame(bigPing(5, 300_000)));
    await waitFor(() => slots.stats().waiting === 1, 10_000, 'the newcomer waiting for the slot');
    // Well past a turn asleep, B still holds its slot: the newcomer's frame was not read.
    await new Promise((r) => setTimeout(r, 600));
    expect(slots.stats()).toMatchObject({ reading: 1, waiting: 1 });
    expect(intake.stats().waiting).toBe(1);
    b.socket.write(frameB.subarray(100_000));
    open();
    await waitFor(() => handled.length === 4, 10_000, 'every frame handled');
    expect(handled).toEqual([1, 3, 2, 5]);
  });
});
