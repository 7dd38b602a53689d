// The sync protocol's messages (one JSON object per WebSocket text frame), assembled into the two
// unions "up" (edge → cloud) and "down" (cloud → edge). Each message has its own file under
// message/; every frame is parsed at the socket (frame.ts), and anything else is answered
// `invalid_message`. A change to either union's JSON Schema bumps the protocol version (version.ts;
// a test pins them together).
import { z } from 'zod';
import { ackSchema } from './message/ack.ts';
import { changesSchema } from './message/changes.ts';
import { errorSchema } from './message/error.ts';
import { helloSchema } from './message/hello.ts';
import { outcomesSchema, resolvedSchema } from './message/outcomes.ts';
import { outcomesRequestSchema } from './message/outcomes-request.ts';
import { pingSchema } from './message/ping.ts';
import { pokeSchema, pongSchema } from './message/poke.ts';
import { pullSchema } from './message/pull.ts';
import { pushSchema } from './message/push.ts';
import { stockChangesSchema } from './message/stock-changes.ts';
import { stockPullSchema } from './message/stock-pull.ts';
import { welcomeSchema } from './message/welcome.ts';

export const upSchema = z.discriminatedUnion('type', [
  helloSchema,
  pushSchema,
  pullSchema,
  pingSchema,
  outcomesRequestSchema,
  stockPullSchema,
]);

export const downSchema = z.discriminatedUnion('type', [
  welcomeSchema,
  ackSchema,
  changesSchema,
  pokeSchema,
  pongSchema,
  errorSchema,
  outcomesSchema,
  resolvedSchema,
  stockChangesSchema,
]);

export type Up = z.infer<typeof upSchema>;
export type Down = z.infer<typeof downSchema>;

export * from './frame.ts';
export * from './message/ack.ts';
export * from './message/changes.ts';
export * from './message/common.ts';
export * from './message/error.ts';
export * from './message/hello.ts';
export * from './message/outcomes.ts';
export * from './message/outcomes-request.ts';
export * from './message/ping.ts';
export * from './message/poke.ts';
export * from './message/pull.ts';
export * from './message/push.ts';
export * from './message/stock-changes.ts';
export * from './message/stock-pull.ts';
export * from './message/welcome.ts';
