// Opening the cash drawer without a sale ("no sale"): always a manager's approval (or a manager's own
// session), recorded as a `drawer_opened` cashier event in the audit log. A retried request with the
// same id gets the first answer and records nothing more.
import type Database from 'better-sqlite3';
import type { NoSaleInput } from '../../src/domain/payloads.ts';
import type { CashierEvent } from '../../src/protocol/mutations.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import { type Actor, terminalRefusal } from './actor.ts';
import { approvalFor } from './approvals.ts';
import type { EmitCashierEvent } from './cashier-events.ts';
import { clockRefusal } from './clock.ts';
import type { Recorded } from './sales.ts';

export interface Drawer {
  noSale(input: Omit<NoSaleInput, 'approval'>, actor?: Actor): EdgeOutcome<Recorded<CashierEvent>>;
}

interface Deps {
  sqlite: Database.Database;
  transaction: <T>(fn: () => T) => T;
  now: () => Date;
  emit: EmitCashierEvent;
  idTaken: (id: string) => boolean;
}

export function createDrawer({ sqlite, transaction, now, emit, idTaken }: Deps): Drawer {
  const sent = sqlite.prepare('SELECT kind, payload FROM outbox WHERE mutation_id = ?');
  return {
    noSale: (input, actor) =>
      transaction(() => {
        if (input.id !== undefined) {
          const first = sent.get(input.id) as { kind: string; payload: string } | undefined;
          const earlier =
            first?.kind === 'cashier_event' ? (JSON.parse(first.payload) as CashierEvent) : undefined;
          if (earlier?.event === 'drawer_opened') return accept({ created: false, value: earlier });
          if (first || idTaken(input.id)) return refuseWith('id_conflict', `id ${input.id} is already used`);
        }
        const elsewhere = terminalRefusal(actor, input.terminal);
        if (elsewhere) return elsewhere;
        const at = now();
        const wrongClock = clockRefusal(at);
        if (wrongClock) return wrongClock;
        const stamp = at.toISOString();
        const approval = approvalFor(['no_sale'], actor, stamp);
        if (!approval.ok) return approval;
        const event = emit(
          {
            ...(input.id === undefined ? {} : { id: input.id }),
            event: 'drawer_opened',
            terminal: input.terminal,
            userId: actor?.user?.id ?? null,
            approval: approval.value,
            detail: input.reason ?? null,
          },
          stamp,
        );
        return accept({ created: true, value: event });
      }),
  };
}
