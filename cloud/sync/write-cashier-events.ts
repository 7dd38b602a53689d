// Writing cashier events (sign-ins, sign-outs, failed PINs, locks, approvals, no-sale drawer
// openings) to the tenant's audit_logs, under the event's id with the device and seq that carried it,
// so a resend is `duplicate` and an event is in the log exactly once (tenant migration 0009).
import type { SqlQueryable } from '../../src/db/sql.ts';
import { reportInserted } from './report-inserted.ts';
import { freshIds, type KnownIds } from './stored-documents.ts';
import { unnestInsertIds } from './unnest.ts';
import type { ValidMutation } from './validate.ts';
import type { Report } from './write-documents.ts';

type CashierEventMutation = Extract<ValidMutation, { kind: 'cashier_event' }>;

/** `device:{id}` when no user is known (a PIN typed for a code nobody has). */
const actorOf = (m: CashierEventMutation, deviceId: string) =>
  m.doc.userId === null ? `device:${deviceId}` : `user:${m.doc.userId}`;

export async function applyCashierEvents(
  tx: SqlQueryable,
  events: CashierEventMutation[],
  deviceId: string,
  known: KnownIds,
  report: Report,
): Promise<void> {
  if (events.length === 0) return;
  const fresh = freshIds(known, events, report);
  const inserted = await unnestInsertIds<CashierEventMutation>(
    tx,
    'audit_logs',
    [
      ['id', 'text', (m) => m.doc.id],
      ['at', 'timestamptz', (m) => m.doc.occurredAt],
      ['actor', 'text', (m) => actorOf(m, deviceId)],
      ['action', 'text', (m) => `cashier.${m.doc.event}`],
      ['entity', 'text', (m) => (m.doc.userId === null ? null : 'user')],
      ['entity_id', 'text', (m) => m.doc.userId],
      ['details', 'text', (m) => JSON.stringify(m.doc)],
      ['device_id', 'text', () => deviceId],
      ['device_seq', 'int8', (m) => m.seq],
    ],
    fresh,
    (m) => m.doc.id,
  );
  reportInserted(fresh, inserted, report);
}
