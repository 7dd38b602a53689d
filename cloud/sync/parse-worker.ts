// The parse worker's thread (frame-parser.ts starts it): reads large frames off the event loop.
// Each request is a frame's bytes; each answer its Incoming as JSON text, or the error that escaped.
import { parentPort } from 'node:worker_threads';
import { type FrameLimits, incomingToJson, readIncoming } from './incoming.ts';

export interface ParseRequest {
  id: number;
  bytes: Uint8Array;
  isBinary: boolean;
  limits: FrameLimits;
}

export type ParseAnswer = { id: number; json: string } | { id: number; error: string };

parentPort?.on('message', ({ id, bytes, isBinary, limits }: ParseRequest) => {
  let answer: ParseAnswer;
  try {
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    answer = { id, json: incomingToJson(readIncoming(data, isBinary, limits)) };
  } catch (err) {
    answer = { id, error: String(err) };
  }
  parentPort?.postMessage(answer);
});
