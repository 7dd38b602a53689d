// Reading frames off the event loop: a large frame (a push: up to 1 MiB of JSON and 500 payloads to
// validate, ~20 ms of CPU) is read by one worker thread per process, so the event loop keeps
// answering the database and the other connections meanwhile, and the push's parse runs beside the
// SQL of the batch before it. A small frame (hello, ping, pull) is read at once. Until the worker is
// up, or if it fails, frames are read on the event loop: a frame is never lost to the worker.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RawData } from 'ws';
import type { Logger } from '../../src/log.ts';
import { type FrameLimits, type Incoming, incomingFromJson, readIncoming } from './incoming.ts';
import type { ParseAnswer, ParseRequest } from './parse-worker.ts';

export interface FrameParser {
  /** What a frame reads as: at once for a small one, from the worker for a large one. Never rejects. */
  read(data: RawData, isBinary: boolean): Incoming | Promise<Incoming>;
  /** Stops the worker; frames still out are read here. */
  close(): Promise<void>;
  /** The worker's state and the frames it has not answered yet (for tests and metrics). */
  stats(): { worker: 'off' | 'starting' | 'online'; pending: number };
}

/** Frames from this size on are read by the worker. */
export const WORKER_MIN_BYTES = 64 * 1024;
/** After the worker failed, frames are read on the event loop this long before it is started again. */
const RESTART_AFTER_MS = 60_000;

interface Pending {
  data: RawData;
  isBinary: boolean;
  resolve: (incoming: Incoming) => void;
}

export function createFrameParser(
  limits: FrameLimits,
  options: { logger?: Logger; workerMinBytes?: number; startWorker?: () => Worker } = {},
): FrameParser {
  const minBytes = options.workerMinBytes ?? WORKER_MIN_BYTES;
  const startWorker = options.startWorker ?? startParseWorker;
  const inline = (data: RawData, isBinary: boolean) => readIncoming(data, isBinary, limits);
  const pending = new Map<number, Pending>();
  let worker: Worker | undefined;
  let online = false;
  let closed = false;
  let nextId = 0;
  let startAfter = 0;

  /** The worker failed or stopped (or could not start): what it still owed is read here. */
  const fallBack = (why: string) => {
    if (!closed)
      options.logger?.error(
        { why },
        'sync: the frame parse worker stopped; frames are read on the event loop',
      );
    worker = undefined;
    online = false;
    startAfter = Date.now() + RESTART_AFTER_MS;
    for (const [id, p] of pending) {
      pending.delete(id);
      p.resolve(inline(p.data, p.isBinary));
    }
  };

  const start = () => {
    const w = startWorker();
    worker = w;
    // A worker does not keep the process alive: the server does.
    w.unref();
    w.on('online', () => {
      if (worker === w) online = true;
    });
    w.on('message', (answer: ParseAnswer) => {
      const p = pending.get(answer.id);
      if (!p) return;
      pending.delete(answer.id);
      p.resolve('json' in answer ? incomingFromJson(answer.json) : inline(p.data, p.isBinary));
    });
    w.on('error', (err) => {
      if (worker === w) fallBack(String(err));
    });
    w.on('exit', (code) => {
      if (worker === w) fallBack(`exit ${code}`);
    });
  };

  return {
    read(data, isBinary) {
      const bytes = frameSize(data);
      if (closed || bytes < minBytes || bytes > limits.maxFrameBytes || isBinary)
        return inline(data, isBinary);
      if (!worker && Date.now() >= startAfter) {
        try {
          start();
        } catch (err) {
          // No worker to be had (its file gone with a pruned build, say): read here, try again later.
          worker = undefined;
          fallBack(String(err));
        }
      }
      // Until it is up, the worker is not waited for.
      if (!online || !worker) return inline(data, isBinary);
      const id = nextId++;
      const request: ParseRequest = { id, bytes: asBytes(data), isBinary, limits };
      const target = worker;
      return new Promise<Incoming>((resolve) => {
        pending.set(id, { data, isBinary, resolve });
        target.postMessage(request);
      });
    },
    async close() {
      closed = true;
      const w = worker;
      fallBack('closed');
      await w?.terminate();
    },
    stats: () => ({ worker: !worker ? 'off' : online ? 'online' : 'starting', pending: pending.size }),
  };
}

const frameSize = (data: RawData): number =>
  Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;

/** A frame's bytes as one Uint8Array (copied to the worker by postMessage). */
const asBytes = (data: RawData): Uint8Array =>
  Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;

/**
 * The worker's thread: the compiled parse-worker.js beside this code in a build (src/cli/build.mjs
 * makes it an entry of its own), or the TypeScript source loaded through tsx when running from source.
 */
function startParseWorker(): Worker {
  const built = join(import.meta.dirname, 'parse-worker.js');
  if (existsSync(built)) return new Worker(built);
  const source = pathToFileURL(join(import.meta.dirname, 'parse-worker.ts')).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`,
    { eval: true },
  );
}
