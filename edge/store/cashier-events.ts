// Cashier events (sign-ins, sign-outs, failed PINs, locks, approvals, no-sale drawer openings) go to
// the outbox like documents, in the transaction that decided them, and reach the tenant's audit log
// through sync exactly once (mutation kind `cashier_event`, protocol 5).
import { randomUUID } from 'node:crypto';
import type { CashierEvent } from '../../src/protocol/mutations.ts';
import type { Outbox } from './outbox.ts';

export type CashierEventInput = Pick<CashierEvent, 'event' | 'terminal'> &
  Partial<Omit<CashierEvent, 'id' | 'event' | 'terminal' | 'branch' | 'occurredAt'>> & { id?: string };

/** Appends an event at `at` (inside the caller's transaction); returns it as it goes on the wire. */
export type EmitCashierEvent = (input: CashierEventInput, at: string) => CashierEvent;

export function createCashierEvents(outbox: Outbox, branch: string): EmitCashierEvent {
  return (input, at) => {
    const event: CashierEvent = {
      id: input.id ?? randomUUID(),
      event: input.event,
      branch,
      terminal: input.terminal,
      occurredAt: at,
      userId: input.userId ?? null,
      code: input.code ?? null,
      sessionId: input.sessionId ?? null,
      documentId: input.documentId ?? null,
      approval: input.approval ?? null,
      detail: input.detail ?? null,
    };
    outbox.append('cashier_event', event.id, event, at);
    return event;
  };
}
