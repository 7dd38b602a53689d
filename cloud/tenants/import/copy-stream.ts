// PostgreSQL's COPY from one server straight into another: `COPY (SELECT …) TO STDOUT` on the legacy
// session is piped, chunk by chunk, into `COPY … FROM STDIN` on the new database's session, with
// back-pressure (the legacy socket pauses while the target's is full). node-postgres runs COPY
// through "submittable" queries; these two are the minimum it needs, so no other package is required.
import type pg from 'pg';
import type { SqlQueryable } from '../../../src/db/sql.ts';

/** The parts of node-postgres' connection a COPY uses. */
interface Connection {
  stream: NodeJS.ReadWriteStream & { writableNeedDrain?: boolean };
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

const FLUSH_BYTES = 64 * 1024;

class CopyQuery {
  connection: Connection | undefined;
  rows = 0;
  private failed: unknown;
  readonly done: Promise<number>;
  private settle!: { resolve: (rows: number) => void; reject: (err: unknown) => void };
  onCopyIn: ((connection: Connection) => void) | undefined;
  onChunk: ((chunk: Buffer, connection: Connection) => void) | undefined;

  constructor(readonly text: string) {
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => {});
  }
  submit(connection: Connection): void {
    this.connection = connection;
    connection.query(this.text);
  }
  handleCopyInResponse(connection: Connection): void {
    this.onCopyIn?.(connection);
  }
  handleCopyData(msg: { chunk: Buffer }, connection: Connection): void {
    this.onChunk?.(msg.chunk, connection);
  }
  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rows = Number(m[1]);
  }
  handleReadyForQuery(): void {
    if (this.failed === undefined) this.settle.resolve(this.rows);
  }
  handleError(err: unknown): void {
    this.failed = err ?? new Error('COPY failed');
    this.settle.reject(this.failed);
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

/**
 * Copies the rows `selectSql` gives on `from` into `table (columns)` on `to`, both in the sessions'
 * open transactions. Resolves with the rows the target stored; rejects with the target's error
 * (a constraint, say) before the source's.
 */
export async function pipeCopy(
  from: pg.PoolClient,
  selectSql: string,
  to: pg.PoolClient,
  intoSql: string,
): Promise<number> {
  const copyIn = new CopyQuery(`COPY ${intoSql} FROM STDIN`);
  const ready = new Promise<Connection>((resolve, reject) => {
    copyIn.onCopyIn = resolve;
    copyIn.done.catch(reject);
  });
  void to.query(copyIn as unknown as pg.QueryConfig);
  const target = await ready;
  const copyOut = new CopyQuery(`COPY (${selectSql}) TO STDOUT`);
  let targetFailed = false;
  copyIn.done.catch(() => {
    targetFailed = true;
  });
  let waiting = false;
  // The source sends one CopyData message per row; they go on in messages of ~64 KiB, not one
  // socket write per row. Each chunk is copied out at once (the parser reuses its read buffer); the
  // message sent is a copy too, so one buffer serves throughout.
  const buffer = Buffer.allocUnsafe(FLUSH_BYTES);
  let used = 0;
  const flush = () => {
    if (used === 0) return;
    target.sendCopyFromChunk(buffer.subarray(0, used));
    used = 0;
  };
  copyOut.onChunk = (chunk, source) => {
    if (targetFailed) return;
    if (used + chunk.length > FLUSH_BYTES) flush();
    if (chunk.length >= FLUSH_BYTES) {
      target.sendCopyFromChunk(chunk);
    } else {
      chunk.copy(buffer, used);
      used += chunk.length;
      if (used < FLUSH_BYTES) return;
      flush();
    }
    // Chunks already read keep arriving after pause(); one wait for 'drain' covers them all.
    if (target.stream.writableNeedDrain && !waiting) {
      waiting = true;
      source.stream.pause();
      target.stream.once('drain', () => {
        waiting = false;
        source.stream.resume();
      });
    }
  };
  void from.query(copyOut as unknown as pg.QueryConfig);
  try {
    await copyOut.done;
  } catch (err) {
    target.sendCopyFail('the legacy side of the copy failed');
    await copyIn.done.catch(() => {});
    throw err;
  }
  if (!targetFailed) flush();
  target.endCopyFrom();
  return copyIn.done;
}

/** A checked-out client as the `SqlQueryable` the rest of the import uses. */
export function clientQueryable(client: pg.PoolClient): SqlQueryable {
  return {
    query: async <Row>(sql: string, params?: readonly unknown[]) =>
      (await client.query(sql, params ? [...params] : undefined)).rows as Row[],
    exec: async (sql: string) => {
      await client.query(sql);
    },
    queryArrays: async (sql: string, params?: readonly unknown[]) =>
      (await client.query({ text: sql, values: params ? [...params] : [], rowMode: 'array' }))
        .rows as unknown[][],
  };
}

/** Runs `fn` in a transaction on a client checked out of `pool`, opened with `begin`. */
export async function onClient<T>(
  pool: pg.Pool,
  begin: string,
  fn: (client: pg.PoolClient, tx: SqlQueryable) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await fn(client, clientQueryable(client));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
