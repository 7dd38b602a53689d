// Manager approvals (docs/edge.md#approvals): a refund over the configured amount, a line priced
// differently from the catalog, and opening the drawer without a sale need a manager's PIN (or a
// manager's own session). The approval — who, when, what for — is recorded on what it approved and
// goes to the audit log as an `approved` cashier event.
import type { Approval, ApprovalReason } from '../../src/protocol/mutations.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import { type Actor, APPROVER_ROLES, approverOf, type TillUser } from './actor.ts';
import type { PinCheck } from './pin-check.ts';

/** Refunds above this many minor units need approval unless the edge is told otherwise (--refund-approval-above). */
export const DEFAULT_REFUND_APPROVAL_ABOVE_MINOR = 5000;

export interface ApprovalInput {
  code: string;
  pin: string;
}

/** Checks an approver's code and PIN (counted like a sign-in's); only managers and owners approve. */
export function checkApprover(
  pins: PinCheck,
  input: ApprovalInput,
  terminal: string,
): Promise<EdgeOutcome<TillUser>> {
  return pins.check({ ...input, terminal }, 'approval', (user) =>
    APPROVER_ROLES.includes(user.role)
      ? accept(user)
      : refuseWith(
          'approval_not_allowed',
          `${user.name} may not approve: a manager's code and PIN are needed`,
        ),
  );
}

/**
 * The approval a document records for `reasons`: none when nothing needs approving, the approver's
 * when there is one, `approval_required` when approvals are required and nobody approved.
 */
export function approvalFor(
  reasons: readonly ApprovalReason[],
  actor: Actor | undefined,
  at: string,
): EdgeOutcome<Approval | null> {
  if (reasons.length === 0) return accept(null);
  const approver = approverOf(actor);
  if (approver) return accept({ approverUserId: approver.id, approvedAt: at, reasons: [...reasons] });
  if (!actor?.approvalsRequired) return accept(null);
  return refuseWith(
    'approval_required',
    `a manager's approval is needed (${reasons.join(', ')}): send approval {code, pin}`,
    { reasons },
  );
}
