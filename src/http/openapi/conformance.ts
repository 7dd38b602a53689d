// Checks an answer against an API's description: the operation its method and path name, a status it
// documents (or any error status with the shared error body), and a body its zod schema accepts —
// the schema the document's JSON Schema was generated from.

import type { z } from 'zod';
import { apiErrorSchema } from '../../protocol/api-error.ts';
import type { ApiDescription, ApiOperation } from './operations.ts';

const patterns = new WeakMap<ApiOperation, RegExp>();

function patternOf(op: ApiOperation): RegExp {
  let re = patterns.get(op);
  if (!re) {
    const source = op.route
      .split('/')
      .map((seg) => {
        const name = /^:([A-Za-z0-9_]+)$/.exec(seg)?.[1];
        if (name === undefined) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const fixed = op.fixed?.[name];
        return fixed === undefined ? '[^/]+' : fixed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    re = new RegExp(`^${source}$`);
    patterns.set(op, re);
  }
  return re;
}

/** The operation a request names: of those that match, the one with the most literal segments. */
export function findOperation(api: ApiDescription, method: string, url: string): ApiOperation | undefined {
  const path = url.split('?')[0]!;
  const m = method.toLowerCase();
  const literal = (op: ApiOperation) =>
    op.route.split('/').filter((s) => !s.startsWith(':') || op.fixed?.[s.slice(1)] !== undefined).length;
  return api.operations
    .filter((op) => op.method === m && patternOf(op).test(path))
    .sort((a, b) => literal(b) - literal(a))[0];
}

/** What is wrong with an answer by the description (empty: nothing). */
export function conformanceProblems(
  api: ApiDescription,
  method: string,
  url: string,
  status: number,
  contentType: string,
  body: unknown,
): string[] {
  const op = findOperation(api, method, url);
  const where = `${method.toUpperCase()} ${url} → ${status}`;
  const documented = op?.responses[status];
  if (!documented) {
    // A refusal of any route (a path no route serves is a 404) answers the shared error body.
    if (status < 400) {
      return [
        op
          ? `${where}: status not documented for ${op.method.toUpperCase()} ${op.route}`
          : `${where}: no documented operation`,
      ];
    }
    if (!/^application\/json/i.test(contentType))
      return [`${where}: an error answered ${contentType || 'no content type'}, not JSON`];
    const parsed = apiErrorSchema.safeParse(body);
    return parsed.success ? [] : [`${where}: not the error body: ${parsed.error.message}`];
  }
  if (!documented.schema)
    return body === undefined || body === '' ? [] : [`${where}: documented with no body`];
  const expected = documented.contentType ?? 'application/json';
  if (!contentType.toLowerCase().startsWith(expected)) {
    const alternative = Object.keys(documented.alternatives ?? {}).some((t) => contentType.startsWith(t));
    return alternative ? [] : [`${where}: content type ${contentType}, documented ${expected}`];
  }
  if (expected === 'application/x-ndjson' && typeof body === 'string')
    return jsonLineProblems(where, documented.schema, body);
  if (!expected.startsWith('application/json')) return [];
  const parsed = documented.schema.safeParse(body);
  return parsed.success
    ? []
    : [
        `${where}: body does not match the documented schema: ${JSON.stringify(parsed.error.issues).slice(0, 2000)}`,
      ];
}

/** What is wrong with a JSON lines body: each line is one value of `schema`. */
function jsonLineProblems(where: string, schema: z.ZodType, body: string): string[] {
  for (const [i, line] of body.split('\n').entries()) {
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return [`${where}: line ${i + 1} is not JSON`];
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      return [
        `${where}: line ${i + 1} does not match the documented schema: ${parsed.error.message.slice(0, 2000)}`,
      ];
  }
  return [];
}
