// Every error code the sync protocol sends (in an `error` message), each with whether the edge tries
// again and what it does about it, and the WebSocket close codes the cloud uses. Expected failures
// are values on the wire, never stack traces. docs/errors.md is generated from these tables.

export interface SyncErrorInfo {
  /**
   * How the edge tries again: `backoff` (soon, then less often: time can cure it), or `slowest` (only
   * at the slowest pace, 30 s by default: it needs an operator, a new registration or an upgrade).
   */
  retry: 'backoff' | 'slowest';
  meaning: string;
  action: string;
}

export const syncErrorCodes = {
  unauthorized: {
    retry: 'slowest',
    meaning: 'The token is missing, malformed, unknown, or its device was revoked.',
    action:
      'The edge keeps its outbox and retries only at the slowest pace; an operator registers the device again.',
  },
  device_in_use: {
    retry: 'slowest',
    meaning:
      'The token is bound to another edge database (a reinstalled till, or two tills sharing a token).',
    action: 'The edge retries only at the slowest pace; an operator registers a new device for it.',
  },
  upgrade_required: {
    retry: 'slowest',
    meaning: "The edge's protocol or tenant schema version is one the cloud no longer accepts.",
    action: 'The edge keeps its outbox and retries only at the slowest pace until it is upgraded.',
  },
  tenant_suspended: {
    retry: 'backoff',
    meaning: 'The tenant is suspended (told only to a device whose token is right).',
    action: 'The edge keeps its outbox and retries later.',
  },
  tenant_unavailable: {
    retry: 'backoff',
    meaning: "The tenant's database is unreachable, provisioning or moving.",
    action: 'The edge retries with backoff, after `retryAfterMs` when given.',
  },
  tenant_migrating: {
    retry: 'backoff',
    meaning:
      "The tenant's schema is behind the cloud's code and is being migrated (protocol 4; older edges are told `tenant_unavailable`).",
    action: 'The edge keeps its outbox and retries after `retryAfterMs`, with backoff.',
  },
  frame_too_large: {
    retry: 'backoff',
    meaning: 'A frame over the size limit.',
    action: 'The edge sends smaller batches.',
  },
  batch_too_large: {
    retry: 'backoff',
    meaning: 'A push with more mutations than the limit the welcome announced.',
    action: 'The edge sends smaller batches.',
  },
  invalid_message: {
    retry: 'backoff',
    meaning: 'A frame that is not JSON or not a message of this protocol.',
    action: 'A bug in the client: it reconnects with backoff; report it.',
  },
  too_many_in_flight: {
    retry: 'backoff',
    meaning:
      'More messages awaiting replies on one connection than the cloud queues (an edge waits for each reply before its next request; protocol 5, older edges are told `invalid_message`).',
    action: 'A bug in the client: the socket is closed (4004) and it reconnects with backoff; report it.',
  },
  unexpected_message: {
    retry: 'backoff',
    meaning: 'A message out of order (a push before hello, a second hello).',
    action: 'A bug in the client: it reconnects with backoff; report it.',
  },
  seq_conflict: {
    retry: 'slowest',
    meaning:
      'A push resends a seq the cloud applied to a different document (a restored, cloned or power-cut edge database reusing numbers).',
    action:
      'The edge retries only at the slowest pace; an operator registers a new device for it, whose outbox is then pushed afresh.',
  },
  seq_gap: {
    retry: 'backoff',
    meaning: 'A push that does not start right after the last applied seq.',
    action: 'The edge resumes from `details.expectedSeq`.',
  },
  internal_error: {
    retry: 'backoff',
    meaning: 'The cloud failed in a way it did not expect; it is logged there.',
    action: 'The edge retries with backoff.',
  },
} as const satisfies Record<string, SyncErrorInfo>;

export type SyncErrorCode = keyof typeof syncErrorCodes;

/** Whether an edge retries a refusal with this code with backoff (unknown codes are). */
export const isRetriedWithBackoff = (code: string): boolean =>
  (syncErrorCodes as Record<string, SyncErrorInfo>)[code]?.retry !== 'slowest';

/** WebSocket close codes the cloud uses (4000–4999 are the application's). */
export const closeCodes = {
  normal: 1000,
  goingAway: 1001,
  unauthorized: 4001,
  upgradeRequired: 4002,
  unavailable: 4003,
  protocolError: 4004,
  timeout: 4008,
  helloTimeout: 4009,
} as const;

export type CloseCodeName = keyof typeof closeCodes;

export interface CloseCodeInfo {
  /** Whether the edge reconnects with backoff after this close (else only at the slowest pace). */
  reconnect: boolean;
  meaning: string;
}

export const closeCodeInfo = {
  normal: { reconnect: true, meaning: 'Normal close (the server shutting down, the edge done).' },
  goingAway: { reconnect: true, meaning: 'The cloud is going away (shutdown); reconnect after the hint.' },
  unauthorized: {
    reconnect: false,
    meaning:
      'Authentication failed, the device was revoked, or its seqs conflict: reconnect only at the slowest pace until reconfigured.',
  },
  upgradeRequired: {
    reconnect: false,
    meaning: 'Versions not accepted: reconnect only at the slowest pace until upgraded.',
  },
  unavailable: { reconnect: true, meaning: 'The tenant cannot be served right now: reconnect with backoff.' },
  protocolError: {
    reconnect: true,
    meaning:
      'A protocol violation (a garbage or oversized frame, a message out of order): reconnect with backoff.',
  },
  timeout: { reconnect: true, meaning: 'No heartbeat for too long: reconnect with backoff.' },
  helloTimeout: {
    reconnect: true,
    meaning:
      "The socket opened but sent no hello within the cloud's hello timeout (default 10 s): a stalled or foreign client. Nothing was refused: reconnect with backoff.",
  },
} as const satisfies Record<CloseCodeName, CloseCodeInfo>;

/** Whether an edge reconnects only at the slowest pace after the cloud closed its socket with this code. */
export const isFinalClose = (code: number | undefined): boolean =>
  (Object.keys(closeCodes) as CloseCodeName[]).some(
    (n) => closeCodes[n] === code && !closeCodeInfo[n].reconnect,
  );
