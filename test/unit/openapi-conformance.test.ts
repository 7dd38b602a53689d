// The check every test's answers go through (src/http/openapi/conformance.ts): it passes what the
// description documents and names each kind of answer it does not.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { conformanceProblems, findOperation } from '../../src/http/openapi/conformance.ts';
import { openApiDocument } from '../../src/http/openapi/document.ts';
import type { ApiDescription } from '../../src/http/openapi/operations.ts';

const thing = z.strictObject({ id: z.string(), qty: z.number().int() });
const api: ApiDescription = {
  title: 'test',
  version: '1',
  description: 'test',
  operations: [
    {
      method: 'get',
      route: '/v1/things/:id',
      tag: 'T',
      summary: 'one',
      responses: { 200: { description: 'it', schema: thing } },
    },
    {
      method: 'get',
      route: '/v1/things/open',
      tag: 'T',
      summary: 'the open one',
      responses: { 200: { description: 'it', schema: thing } },
    },
    {
      method: 'delete',
      route: '/v1/things/:id',
      tag: 'T',
      summary: 'gone',
      responses: { 204: { description: 'gone' } },
    },
    {
      method: 'get',
      route: '/v1/reports/:name',
      fixed: { name: 'daily' },
      tag: 'R',
      summary: 'daily',
      query: z.strictObject({ from: z.iso.date().optional(), limit: z.coerce.number().default(5) }),
      responses: { 200: { description: 'r', schema: z.strictObject({ rows: z.array(z.number()) }) } },
    },
  ],
};
const json = 'application/json; charset=UTF-8';
const check = (method: string, path: string, status: number, body: unknown, type = json) =>
  conformanceProblems(api, method, path, status, type, body);

describe('checking an answer against the API description', () => {
  it('passes documented answers and any error status with the shared error body', () => {
    expect(check('GET', '/v1/things/a1', 200, { id: 'a1', qty: 2 })).toEqual([]);
    expect(check('DELETE', '/v1/things/a1', 204, undefined, '')).toEqual([]);
    expect(check('GET', '/v1/things/a1', 404, { error: { code: 'not_found', message: 'no a1' } })).toEqual(
      [],
    );
    expect(check('GET', '/v1/nowhere', 404, { error: { code: 'not_found', message: 'no route' } })).toEqual(
      [],
    );
    expect(check('GET', '/v1/reports/daily?from=2026-01-01', 200, { rows: [1] })).toEqual([]);
  });

  it('names an undocumented success, a wrong or extra field, a body where none is documented, and a bad error body', () => {
    expect(check('GET', '/v1/nowhere', 200, {})).toEqual([expect.stringMatching(/no documented operation/)]);
    expect(check('GET', '/v1/things/a1', 201, { id: 'a1', qty: 2 })).toEqual([
      expect.stringMatching(/status not documented/),
    ]);
    expect(check('GET', '/v1/things/a1', 200, { id: 'a1', qty: '2' })).toEqual([
      expect.stringMatching(/does not match/),
    ]);
    expect(check('GET', '/v1/things/a1', 200, { id: 'a1', qty: 2, secret: 'x' })).toEqual([
      expect.stringMatching(/does not match/),
    ]);
    expect(check('DELETE', '/v1/things/a1', 204, { id: 'a1' })).toEqual([expect.stringMatching(/no body/)]);
    expect(check('GET', '/v1/things/a1', 500, { message: 'boom' })).toEqual([
      expect.stringMatching(/not the error body/),
    ]);
    expect(check('GET', '/v1/things/a1', 500, 'boom', 'text/plain')).toEqual([
      expect.stringMatching(/not JSON/),
    ]);
    expect(check('GET', '/v1/reports/weekly', 200, { rows: [] })).toEqual([
      expect.stringMatching(/no documented operation/),
    ]);
  });

  it('takes the matching route with the most literal segments', () => {
    expect(findOperation(api, 'GET', '/v1/things/open')?.summary).toBe('the open one');
    expect(findOperation(api, 'GET', '/v1/things/x')?.summary).toBe('one');
  });

  it('documents fixed parameters as literal paths, the rest as path parameters, and query keys as parameters', () => {
    const doc = openApiDocument(api) as { paths: Record<string, Record<string, { parameters?: unknown[] }>> };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/reports/daily',
      '/v1/things/open',
      '/v1/things/{id}',
    ]);
    expect(doc.paths['/v1/things/{id}']!.get!.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    expect(doc.paths['/v1/reports/daily']!.get!.parameters).toMatchObject([
      { name: 'from', in: 'query', required: false, schema: { type: 'string', format: 'date' } },
      { name: 'limit', in: 'query', required: false, schema: { default: 5 } },
    ]);
  });
});
