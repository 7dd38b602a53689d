// `GET /v1/journal` (docs/journal.md#export): a terminal's hash chain(s) as JSON lines
// (`application/x-ndjson`), one `journalEntrySchema` object per link in seq order, for users whose role
// may read reports (an auditor reads what the reports are built from). The body is streamed a batch
// of links at a time, with backpressure: a chain of a million links is never held in memory.
import { Hono } from 'hono';
import { instantSchema } from '../../src/domain/bounds.ts';
import { codeSchema, strictObject } from '../../src/domain/payloads.ts';
import { AppError } from '../../src/errors.ts';
import { parseQuery } from '../../src/http/errors.ts';
import { requirePermission } from '../hq/sessions.ts';
import { journalEntries } from '../journal/export.ts';
import { listChains } from '../journal/stored-chains.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import { type HqEnv, hqSession } from './hq-session.ts';
import { lineStream } from './line-stream.ts';

export interface HqJournalRoutesOptions {
  resolver: TenantResolver;
  now?: () => Date;
}

/**
 * The export's query: the terminal (required; every chain of that code, one per branch and edge
 * database), optionally one branch, and links recorded at the till from `from` (inclusive) to `to`
 * (exclusive), as instants.
 */
export const journalQuery = strictObject({
  terminal: codeSchema,
  branch: codeSchema.optional(),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
});

export function createHqJournalRoutes(options: HqJournalRoutesOptions): Hono<HqEnv> {
  const { resolver } = options;
  const now = options.now ?? (() => new Date());
  const app = new Hono<HqEnv>();
  const session = hqSession(resolver, now);

  app.get('/journal', session, async (c) => {
    const { orgId, user } = c.var.session;
    requirePermission(user, 'reports:read');
    const query = parseQuery(c, journalQuery);
    if (
      query.from !== undefined &&
      query.to !== undefined &&
      Date.parse(query.from) >= Date.parse(query.to)
    ) {
      throw new AppError('invalid_input', 'from must be before to', [
        { path: 'query.to', message: 'an instant after from' },
      ]);
    }
    // Asked before the body starts, so an unavailable tenant is its usual error status, not a cut body.
    await resolver.withTenant(orgId, (db) => listChains(db, orgId, query));
    const body = lineStream((write) =>
      resolver.withTenant(orgId, async (db) => {
        for await (const entry of journalEntries(db, orgId, query))
          if (!(await write(JSON.stringify(entry)))) return;
      }),
    );
    return c.body(body, 200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
    });
  });

  return app;
}
