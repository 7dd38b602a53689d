// poke (cloud → edge): the change log moved on; pong: the answer to ping.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { cursor } from './common.ts';

/** The tenant's change log moved on: pull from your cursor. */
export const pokeSchema = strictObject({ type: z.literal('poke'), cursor });

export const pongSchema = strictObject({ type: z.literal('pong'), at: z.number().optional() });
