// Every answer the OpenAPI documents describe has a concrete schema: every operation documents its
// success (a 2xx), and each 2xx JSON answer names its fields (no `{}`, no object that takes any
// field, no `any`/`unknown` anywhere inside), so the documents say what a client gets. Bodies that
// are not JSON (CSV, text, a gzip file) are the documented exceptions: their schema is a string. JSON
// lines are described by one line's schema, as concrete as a JSON answer's.
import { describe, expect, it } from 'vitest';
import { cloudApi } from '../../cloud/http/openapi.ts';
import { adminOperations } from '../../cloud/http/openapi-admin.ts';
import { edgeApi } from '../../edge/http/openapi.ts';
import { openApiDocument } from '../../src/http/openapi/document.ts';

type Json = Record<string, unknown>;

/** Where in `schema` something takes any value (paths as `a/b/c`). */
function looseSpots(schema: unknown, at = '', found: string[] = []): string[] {
  if (schema === true || (schema && typeof schema === 'object' && Object.keys(schema).length === 0)) {
    found.push(`${at || '/'}: any value`);
    return found;
  }
  if (!schema || typeof schema !== 'object') return found;
  const s = schema as Json;
  const keys = Object.keys(s).filter((k) => k !== 'description' && k !== 'title' && k !== 'default');
  if (keys.length === 0) found.push(`${at || '/'}: any value`);
  if (s.type === 'object' || s.properties) {
    if (s.additionalProperties === undefined && !s.propertyNames)
      found.push(`${at || '/'}: an object that takes any field`);
    if (s.additionalProperties && s.additionalProperties !== false)
      looseSpots(s.additionalProperties, `${at}/additionalProperties`, found);
    for (const [k, v] of Object.entries((s.properties as Json | undefined) ?? {}))
      looseSpots(v, `${at}/${k}`, found);
  }
  if (s.items) looseSpots(s.items, `${at}/items`, found);
  for (const k of ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const)
    for (const [i, v] of ((s[k] as unknown[] | undefined) ?? []).entries())
      looseSpots(v, `${at}/${k}${i}`, found);
  return found;
}

/**
 * Where a JSON answer holds any value by design, with the reason (`METHOD path status: spot`).
 */
const EXCEPTIONS: Record<string, string> = {
  'GET /v1/sync/quarantine 200: /quarantine/items/payload':
    'the mutation as the device sent it: refused, it may match no schema of its kind',
};

function problemsOf(doc: Json): string[] {
  const problems: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const statuses = Object.keys(op.responses as Json);
      if (!statuses.some((s) => /^2\d\d$/.test(s)))
        problems.push(`${method.toUpperCase()} ${path}: no success answer documented`);
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) {
        if (!/^2\d\d$/.test(status) || status === '204') continue;
        const where = `${method.toUpperCase()} ${path} ${status}`;
        const content = r.content as Record<string, { schema: Json }> | undefined;
        if (!content) {
          problems.push(`${where}: no body documented`);
          continue;
        }
        for (const [type, { schema }] of Object.entries(content)) {
          // JSON lines (GET /v1/journal) are described by the schema of one line: concrete like JSON.
          if (!type.startsWith('application/json') && type !== 'application/x-ndjson') {
            if (schema.type !== 'string') problems.push(`${where} ${type}: not described as a string`);
            continue;
          }
          for (const spot of looseSpots(schema)) {
            if (!EXCEPTIONS[`${where}: ${spot.replace(/: [^:]*$/, '')}`]) problems.push(`${where}: ${spot}`);
          }
        }
      }
    }
  }
  return problems;
}

describe('the OpenAPI documents describe every answer concretely', () => {
  it('finds the loose spots of a schema', () => {
    expect(looseSpots({})).toEqual(['/: any value']);
    expect(looseSpots({ type: 'object', properties: { a: { type: 'string' } } })).toEqual([
      '/: an object that takes any field',
    ]);
    expect(
      looseSpots({
        type: 'object',
        properties: { a: { type: 'array', items: {} } },
        additionalProperties: false,
      }),
    ).toEqual(['/a/items: any value']);
    expect(looseSpots({ type: 'object', properties: {}, additionalProperties: false })).toEqual([]);
  });

  for (const [name, api] of [
    ['cloud', cloudApi()],
    ['edge', edgeApi()],
  ] as const) {
    it(`${name}: every 2xx JSON answer has a concrete schema`, () => {
      expect(problemsOf(openApiDocument(api))).toEqual([]);
    });
  }

  it('the admin operations are in the cloud document', () => {
    const routes = new Set(cloudApi().operations.map((o) => `${o.method} ${o.route}`));
    for (const op of adminOperations()) expect(routes.has(`${op.method} ${op.route}`)).toBe(true);
  });
});
