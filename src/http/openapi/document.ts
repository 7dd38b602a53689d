// An OpenAPI 3.1 document from a list of operations: every schema in it is zod's own JSON Schema
// conversion (draft 2020-12, which OpenAPI 3.1 uses) of the schema the route validates with, so the
// document cannot drift from what the server accepts.
import { z } from 'zod';
import { apiErrorSchema } from '../../protocol/api-error.ts';
import {
  type ApiAuth,
  type ApiDescription,
  type ApiOperation,
  documentPath,
  pathParams,
} from './operations.ts';

type Json = Record<string, unknown>;

/** A request's schema as JSON Schema: what a client may send (defaults and coercions applied after). */
export function inputJsonSchema(schema: z.ZodType): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

/** An answer's schema as JSON Schema: what the server sends. */
export function outputJsonSchema(schema: z.ZodType): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Json;
  return rest;
}

const SECURITY_SCHEMES: Record<ApiAuth, Json> = {
  hqSession: {
    type: 'http',
    scheme: 'bearer',
    description: 'An HQ session token (`mph_…`) from POST /v1/orgs/{orgId}/sessions.',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description: "The operator's admin token (`MODERNPOS_ADMIN_TOKEN`).",
  },
  deviceToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A device token (`mpd_{orgId}_…`), shown once when HQ registers the device.',
  },
  cashierSession: {
    type: 'http',
    scheme: 'bearer',
    description: 'A cashier session token from POST /v1/cashier-sessions (code and PIN at a terminal).',
  },
};

/** One query parameter per key of an object schema; `required` when the key may not be left out. */
function queryParameters(schema: z.ZodType): Json[] {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) throw new Error('a query schema must be an object schema');
  return Object.entries(shape).map(([name, field]) => {
    const json = inputJsonSchema(field);
    const { description, ...rest } = json;
    return {
      name,
      in: 'query',
      required: !field.safeParse(undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function operationObject(op: ApiOperation): Json {
  const parameters: Json[] = pathParams(op).map((name) => ({
    name,
    in: 'path',
    required: true,
    ...(op.params?.[name] ? { description: op.params[name] } : {}),
    schema: { type: 'string' },
  }));
  if (op.query) parameters.push(...queryParameters(op.query));
  const responses: Json = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const content: Json = {};
    if (r.schema) {
      content[r.contentType ?? 'application/json'] = { schema: outputJsonSchema(r.schema) };
    }
    for (const [type, description] of Object.entries(r.alternatives ?? {})) {
      content[type] = { schema: { type: 'string', description } };
    }
    responses[status] = { description: r.description, ...(Object.keys(content).length ? { content } : {}) };
  }
  responses.default = { $ref: '#/components/responses/Error' };
  return {
    operationId: operationId(op),
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: !op.body.safeParse(undefined).success,
            content: { 'application/json': { schema: inputJsonSchema(op.body) } },
          },
        }
      : {}),
    responses,
    security: op.auth ? [{ [op.auth]: [] }] : [],
  };
}

/** `POST /v1/sales/:id/refunds` → `postV1SalesIdRefunds` (fixed parameters by their value). */
export function operationId(op: ApiOperation): string {
  const words = documentPath(op)
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return op.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** The OpenAPI 3.1 document of `api`. Throws on a duplicate operation (two routes documented as one). */
export function openApiDocument(api: ApiDescription): Json {
  const paths: Record<string, Json> = {};
  const used = new Set<ApiAuth>();
  for (const op of api.operations) {
    const path = documentPath(op);
    paths[path] ??= {};
    if (paths[path]![op.method]) throw new Error(`${op.method.toUpperCase()} ${path} is documented twice`);
    paths[path]![op.method] = operationObject(op);
    if (op.auth) used.add(op.auth);
  }
  const tags = [...new Set(api.operations.map((o) => o.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: { title: api.title, version: api.version, description: api.description },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags,
    paths,
    components: {
      schemas: { Error: outputJsonSchema(apiErrorSchema) },
      responses: {
        Error: {
          description: 'Any refusal or failure: `{"error":{"code","message","details"}}`.',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
      securitySchemes: Object.fromEntries([...used].map((a) => [a, SECURITY_SCHEMES[a]])),
    },
  };
}
