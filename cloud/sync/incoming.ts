// What a connection queues for a frame: the message (or why it is none) and, for a push within the
// batch limit, its payloads parsed for their kinds. Pure, so it runs where it costs least: on the
// event loop for a small frame, in the parse worker for a large one (frame-parser.ts), whose answer
// crosses as JSON text (incomingToJson, incomingFromJson): everything here is JSON already.
import type { RawData } from 'ws';
import { type ParsedFrame, readFrame } from './frame.ts';
import { type ParsedMutation, parsePayloads } from './parsed-mutation.ts';
import type { SyncLimits } from './session-deps.ts';

export interface Incoming {
  parsed: ParsedFrame;
  /** A push's payloads by seq, parsed on taking it in (only the SQL waits its turn). */
  payloads?: ReadonlyMap<number, ParsedMutation['parsed']>;
}

export type FrameLimits = Pick<SyncLimits, 'maxFrameBytes' | 'maxBatchMutations'>;

export function readIncoming(data: RawData, isBinary: boolean, limits: FrameLimits): Incoming {
  const parsed = readFrame(data, isBinary, limits.maxFrameBytes);
  if (
    parsed.ok &&
    parsed.message.type === 'push' &&
    parsed.message.mutations.length <= limits.maxBatchMutations
  ) {
    return { parsed, payloads: parsePayloads(parsed.message.mutations) };
  }
  return { parsed };
}

export const incomingToJson = ({ parsed, payloads }: Incoming): string =>
  JSON.stringify({ parsed, payloads: payloads ? [...payloads] : undefined });

export function incomingFromJson(json: string): Incoming {
  const { parsed, payloads } = JSON.parse(json) as {
    parsed: ParsedFrame;
    payloads?: [number, ParsedMutation['parsed']][];
  };
  return payloads ? { parsed, payloads: new Map(payloads) } : { parsed };
}
