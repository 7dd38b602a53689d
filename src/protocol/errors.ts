// Every error code the sync protocol sends (in an `error` message or an ack's rejected result), each
// with what the edge does about it. Expected failures are values on the wire, never stack traces.

export const syncErrorCodes = {
  /** The token is missing, malformed, unknown, or its device was revoked. The edge keeps its outbox and retries only at the slowest pace. */
  unauthorized: 'unauthorized',
  /** The token is bound to another edge database (a reinstalled till, or two tills sharing a token). The edge stops; an operator registers a new device for it. */
  device_in_use: 'device_in_use',
  /** The edge's protocol or tenant schema version is one the cloud no longer accepts. The edge keeps its outbox and waits for an upgrade. */
  upgrade_required: 'upgrade_required',
  /** The tenant is suspended (told only to a device whose token is right). The edge keeps its outbox and retries later. */
  tenant_suspended: 'tenant_suspended',
  /** The tenant's database is unreachable or still provisioning. The edge retries with backoff (retryAfterMs when given). */
  tenant_unavailable: 'tenant_unavailable',
  /**
   * The tenant's schema is behind the cloud's code and is being migrated (protocol 4; older edges are
   * told `tenant_unavailable`). The edge keeps its outbox and retries after retryAfterMs, with backoff.
   */
  tenant_migrating: 'tenant_migrating',
  /** A frame over the size limit. The edge sends smaller batches. */
  frame_too_large: 'frame_too_large',
  /** A push with more mutations than the limit the welcome announced. The edge sends smaller batches. */
  batch_too_large: 'batch_too_large',
  /** A frame that is not JSON or not a message of this protocol. */
  invalid_message: 'invalid_message',
  /** A message out of order (a push before hello, a second hello). */
  unexpected_message: 'unexpected_message',
  /** A push resends a seq the cloud applied to a different document (a restored, cloned or power-cut edge database reusing numbers). The edge stops; an operator registers a new device for it, whose outbox is then pushed afresh. */
  seq_conflict: 'seq_conflict',
  /** A push that does not start right after the last applied seq. `details.expectedSeq` says where to resume. */
  seq_gap: 'seq_gap',
  /** The cloud failed in a way it did not expect; logged there. The edge retries with backoff. */
  internal_error: 'internal_error',
} as const;

export type SyncErrorCode = keyof typeof syncErrorCodes;

/** WebSocket close codes the cloud uses (4000–4999 are the application's). */
export const closeCodes = {
  /** Normal close (server shutting down, edge done). */
  normal: 1000,
  /** The cloud is going away (shutdown); reconnect after the hint. */
  goingAway: 1001,
  /** Authentication failed or the device was revoked: do not reconnect until reconfigured. */
  unauthorized: 4001,
  /** Versions not accepted: do not reconnect until upgraded. */
  upgradeRequired: 4002,
  /** The tenant cannot be served right now: reconnect with backoff. */
  unavailable: 4003,
  /** A protocol violation (garbage frame, oversized frame): reconnect with backoff. */
  protocolError: 4004,
  /** No heartbeat for too long. */
  timeout: 4008,
  /**
   * The socket opened but sent no hello within the cloud's hello timeout (default 10 s): a stalled or
   * foreign client. Nothing was refused: the edge reconnects with backoff.
   */
  helloTimeout: 4009,
} as const;
