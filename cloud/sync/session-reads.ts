// The connection's reads: catalog pull, stock pull (protocol 5) and quarantine outcomes (protocol 4),
// each answered only while the device is still active (a revoked device is refused and closed).
import type { SqlDatabase } from '../../src/db/sql.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import {
  MAX_STOCK_PAGE,
  type OutcomesRequest,
  type Pull,
  type StockPull,
} from '../../src/protocol/messages.ts';
import { deviceIsActive } from '../devices/devices.ts';
import type { Connection, Ready } from './connection.ts';
import { readOutcomes } from './outcomes.ts';
import { readChanges } from './pull.ts';
import { readStockMovements } from './pull-stock.ts';
import { Refusal } from './refusal.ts';

/** The welcomed device of the connection, at least at protocol `minProtocol` for `what`. */
function readyFor(conn: Connection, minProtocol?: { version: number; what: string }): Ready {
  if (!conn.ready) throw new Refusal('unexpected_message', 'send hello first', closeCodes.protocolError);
  if (minProtocol && conn.ready.protocolVersion < minProtocol.version) {
    throw new Refusal(
      'unexpected_message',
      `${minProtocol.what} needs protocol ${minProtocol.version}`,
      closeCodes.protocolError,
    );
  }
  return conn.ready;
}

/** Reads in the tenant's database for a device that is still active. */
function readAsActive<T>(conn: Connection, session: Ready, fn: (db: SqlDatabase) => Promise<T>): Promise<T> {
  return conn.withTenant(session.orgId, async (db) => {
    if (!(await deviceIsActive(db, session.deviceId))) {
      throw new Refusal('unauthorized', 'the device was revoked', closeCodes.unauthorized);
    }
    return fn(db);
  });
}

export async function handlePull(conn: Connection, message: Pull): Promise<void> {
  const { limits } = conn;
  const session = readyFor(conn);
  const page = await readAsActive(conn, session, (db) =>
    readChanges(db, message.cursor, Math.min(message.limit ?? limits.pullPageSize, limits.pullPageSize)),
  );
  conn.send({ type: 'changes', ...page });
}

export async function handleStockPull(conn: Connection, message: StockPull): Promise<void> {
  const session = readyFor(conn, { version: 5, what: 'stock_pull' });
  const page = await readAsActive(conn, session, (db) =>
    readStockMovements(
      db,
      session.branchCode,
      session.deviceId,
      message.cursor,
      Math.min(message.limit ?? MAX_STOCK_PAGE, MAX_STOCK_PAGE),
    ),
  );
  conn.send({ type: 'stock_changes', ...page });
}

export async function handleOutcomes(conn: Connection, message: OutcomesRequest): Promise<void> {
  const session = readyFor(conn, { version: 4, what: 'outcomes' });
  const found = await readAsActive(conn, session, (db) => readOutcomes(db, session.deviceId, message.seqs));
  conn.send({ type: 'outcomes', outcomes: found });
}
