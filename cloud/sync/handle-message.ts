// The message handler of a sync connection: each message of the edge to its handler, and whatever a
// handler throws turned into a value: a refusal (its own, or what a tenant database's failure means
// to the edge) or a fatal error. It never touches the socket (connection.ts does).
import type { Up } from '../../src/protocol/messages.ts';
import { fatal, type HandlerResult, refused } from './handler-result.ts';
import type { ParsedMutation } from './parsed-mutation.ts';
import { Refusal, tenantRefusal } from './refusal.ts';
import type { SessionDeps } from './session-deps.ts';
import { handleHello } from './session-hello.ts';
import { handlePing } from './session-ping.ts';
import { handlePush } from './session-push.ts';
import { handleOutcomes, handlePull, handleStockPull } from './session-reads.ts';
import type { SessionState } from './session-state.ts';

export async function handleMessage(
  state: SessionState,
  message: Up,
  deps: SessionDeps,
  payloads?: ReadonlyMap<number, ParsedMutation['parsed']>,
): Promise<HandlerResult> {
  try {
    if (message.type === 'hello') return await handleHello(state, message, deps);
    if (message.type === 'push') return await handlePush(state, message, deps, payloads);
    if (message.type === 'pull') return await handlePull(state, message, deps);
    if (message.type === 'outcomes') return await handleOutcomes(state, message, deps);
    if (message.type === 'stock_pull') return await handleStockPull(state, message, deps);
    return await handlePing(state, message, deps);
  } catch (err) {
    const protocol = message.type === 'hello' ? message.protocolVersion : state.ready?.protocolVersion;
    const refusal = err instanceof Refusal ? err : tenantRefusal(err, protocol);
    return refusal ? refused(refusal) : fatal(err);
  }
}
