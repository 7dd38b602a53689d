// The fleet-push benchmark's pushing half of a device: on a raw protocol client already welcomed
// (idle-fleet-clients.ts), push frames sent as the edge sends them (two in flight, the next sent as
// soon as one is acknowledged), each ack checked, and when the last one came back.
import type { Down } from '../../src/protocol/messages.ts';
import { now } from './common.ts';
import type { IdleClient } from './idle-fleet-clients.ts';

/** Push batches awaiting their acks at once, as the edge's sync client (PIPELINE_DEPTH). */
export const PUSH_PIPELINE_DEPTH = 2;

export interface PushOutcome {
  /** Mutations the cloud acknowledged `applied`. */
  applied: number;
  /** When the last ack arrived (performance.now()). */
  doneAt: number;
}

/**
 * Sends `frames` (push messages, as `pushFrame` builds them) on the client's open socket, at most
 * PUSH_PIPELINE_DEPTH unanswered, and resolves once every one is acknowledged; rejects on an error
 * reply, a refusal or a closed socket. Replies come in request order, so the acks are matched in turn
 * (the client's heartbeat pings are answered `pong`, which is skipped).
 */
export function pushFrames(client: IdleClient, frames: readonly Buffer[]): Promise<PushOutcome> {
  const ws = client.ws;
  if (!ws) return Promise.reject(new Error(`a device of ${client.orgId} is not connected`));
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    let applied = 0;
    const finish = (err?: Error) => {
      ws.off('message', onMessage);
      ws.off('close', onClose);
      if (err) reject(err);
      else resolve({ applied, doneAt: now() });
    };
    const fill = () => {
      while (sent < frames.length && sent - acked < PUSH_PIPELINE_DEPTH)
        ws.send(frames[sent++]!, { binary: false });
    };
    const onMessage = (data: Buffer) => {
      const reply = JSON.parse(String(data)) as Down;
      if (reply.type === 'ack') {
        acked++;
        applied += reply.results.filter((r) => r.status === 'applied').length;
        if (acked === frames.length) finish();
        else fill();
      } else if (reply.type === 'error') {
        finish(new Error(`a device of ${client.orgId} was answered ${reply.code}: ${reply.message}`));
      }
    };
    const onClose = () => finish(new Error(`a device of ${client.orgId} lost its connection while pushing`));
    ws.on('message', onMessage);
    ws.on('close', onClose);
    if (frames.length === 0) finish();
    else fill();
  });
}
