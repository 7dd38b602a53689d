// The frame parser (cloud/sync/frame-parser.ts): a large frame is read in the worker thread and reads
// exactly as on the event loop (a real edge's push of sales and refunds, a payload that fails its
// schema, a frame that is no JSON); small frames, frames before the worker is up and frames after it
// is closed are read at once; a worker that dies with frames out has them read on the event loop, and
// nothing is lost.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createFrameParser, type FrameParser } from '../../cloud/sync/frame-parser.ts';
import { type FrameLimits, type Incoming, readIncoming } from '../../cloud/sync/incoming.ts';
import { pushFrame } from '../../edge/sync/sync-client.ts';
import { createTestEdge, seedCatalog, type TestEdge } from '../helpers/edge.ts';
import { waitFor } from '../helpers/wait.ts';

const limits: FrameLimits = { maxFrameBytes: 1024 * 1024, maxBatchMutations: 500 };

let edge: TestEdge | undefined;
const parsers: FrameParser[] = [];
afterEach(async () => {
  edge?.destroy();
  edge = undefined;
  for (const p of parsers.splice(0)) await p.close();
});

/** A push frame of `sales` real sales (and a refund), as an edge sends it, plus one broken payload. */
async function pushOf(sales: number): Promise<Buffer> {
  edge = await createTestEdge();
  const { store } = edge;
  seedCatalog(store, {
    products: [{ sku: 'TEA', name: 'Thé "vert" 100 g', priceMinor: 450, taxRateBp: 2000 }],
  });
  let first: string | undefined;
  for (let i = 0; i < sales; i++) {
    const sale = store.sales.recordSale({
      terminal: 'T1',
      cashier: 'Zoë',
      lines: [{ sku: 'TEA', qtyMilli: 2000 }],
      payments: [{ method: 'cash', amountMinor: 1080 }],
    });
    if (!sale.ok) throw new Error(JSON.stringify(sale.error));
    first ??= sale.value.value.id;
  }
  const refund = store.sales.recordRefund(first!, {
    terminal: 'T1',
    lines: [{ lineNo: 1, qtyMilli: 1000 }],
    payments: [{ method: 'cash', amountMinor: 540 }],
  });
  if (!refund.ok) throw new Error(JSON.stringify(refund.error));
  const batch = store.outbox.pending(0, 500, 10_000_000);
  const frame = pushFrame(batch);
  // One more mutation whose payload fails its schema: it reads as a rejection, not a failed frame.
  const broken = `,{"seq":${batch.at(-1)!.seq + 1},"id":"x","kind":"sale","payload":{"id":"x"}}]}`;
  return Buffer.from(`${frame.slice(0, -2)}${broken}`);
}

const plain = (i: Incoming) => ({ parsed: i.parsed, payloads: i.payloads && [...i.payloads] });

describe('the frame parser', () => {
  it('reads a large push in the worker exactly as on the event loop', async () => {
    const frame = await pushOf(150);
    expect(frame.length).toBeGreaterThan(64 * 1024);
    const parser = createFrameParser(limits);
    parsers.push(parser);
    // Before the worker is up, read at once.
    const early = parser.read(frame, false);
    expect(early).not.toBeInstanceOf(Promise);
    await waitFor(() => parser.stats().worker === 'online', 30_000, 'the worker up');
    const read = parser.read(frame, false);
    expect(read).toBeInstanceOf(Promise);
    const inWorker = await read;
    const expected = readIncoming(frame, false, limits);
    expect(plain(inWorker)).toEqual(plain(expected));
    expect(plain(early as Incoming)).toEqual(plain(expected));
    // The broken payload is a rejection among the parsed payloads.
    const payloads = [...inWorker.payloads!.values()];
    expect(payloads.filter((p) => 'code' in p)).toHaveLength(1);
    expect(payloads.filter((p) => !('code' in p))).toHaveLength(151); // 150 sales and the refund
    // A large frame that is no JSON reads as such there too.
    const garbage = Buffer.from(`{"type":"push",${' '.repeat(70_000)}`);
    expect(await parser.read(garbage, false)).toEqual({ parsed: { ok: false, reason: 'frame is not JSON' } });
    expect(parser.stats().pending).toBe(0);
  });

  it('reads small frames, binary frames and frames over the limit at once', async () => {
    const parser = createFrameParser(limits);
    parsers.push(parser);
    const small = parser.read(Buffer.from('{"type":"ping","at":1}'), false);
    expect(small).toEqual({ parsed: { ok: true, message: { type: 'ping', at: 1 } } });
    expect(parser.read(Buffer.alloc(100_000), true)).toEqual({
      parsed: { ok: false, reason: 'frames are JSON text' },
    });
    expect(parser.read(Buffer.alloc(2 * 1024 * 1024, 32), false)).toMatchObject({
      parsed: { ok: false, code: 'frame_too_large' },
    });
    expect(parser.stats().worker).toBe('off');
  });

  it('reads on the event loop what a worker that died still owed, and what comes after', async () => {
    const frame = await pushOf(150);
    // A worker that takes frames and dies without answering.
    const parser = createFrameParser(limits, {
      startWorker: () =>
        new Worker(
          "require('node:worker_threads').parentPort.on('message', () => setTimeout(() => process.exit(3), 50));",
          { eval: true },
        ),
    });
    parsers.push(parser);
    parser.read(frame, false);
    await waitFor(() => parser.stats().worker === 'online', 30_000, 'the worker up');
    const owed = [parser.read(frame, false), parser.read(frame, false)];
    expect(owed.every((r) => r instanceof Promise)).toBe(true);
    const expected = plain(readIncoming(frame, false, limits));
    for (const r of await Promise.all(owed)) expect(plain(r)).toEqual(expected);
    expect(parser.stats()).toEqual({ worker: 'off', pending: 0 });
    // Not started again at once: read here meanwhile.
    const after = parser.read(frame, false);
    expect(after).not.toBeInstanceOf(Promise);
    expect(plain(after as Incoming)).toEqual(expected);
  });

  it('reads at once after it is closed, and answers what was out', async () => {
    const frame = await pushOf(150);
    const parser = createFrameParser(limits);
    parser.read(frame, false);
    await waitFor(() => parser.stats().worker === 'online', 30_000, 'the worker up');
    const out = parser.read(frame, false);
    await parser.close();
    expect(plain(await out)).toEqual(plain(readIncoming(frame, false, limits)));
    expect(parser.read(frame, false)).not.toBeInstanceOf(Promise);
    expect(parser.stats().worker).toBe('off');
  });

  it('reads on the event loop when no worker can be started, and does not try again at once', async () => {
    const frame = await pushOf(150);
    let starts = 0;
    const parser = createFrameParser(limits, {
      startWorker: () => {
        starts++;
        throw new Error('no parse-worker.js here');
      },
    });
    parsers.push(parser);
    const expected = plain(readIncoming(frame, false, limits));
    for (let i = 0; i < 3; i++) {
      const read = parser.read(frame, false);
      expect(read).not.toBeInstanceOf(Promise);
      expect(plain(read as Incoming)).toEqual(expected);
    }
    expect(starts).toBe(1);
    expect(parser.stats()).toEqual({ worker: 'off', pending: 0 });
  });
});
