// What an API operation is, for its OpenAPI document: the route as Hono registers it, and the very
// zod schemas the route validates its query and body with (and its answers are shaped by). The
// documents (cloud/http/openapi.ts, edge/http/openapi.ts) list these; nothing is written by hand.
import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** How a caller proves who it is; each names a security scheme of the document. */
export type ApiAuth = 'hqSession' | 'adminToken' | 'deviceToken' | 'cashierSession';

export interface ApiResponse {
  description: string;
  /** The body's schema (JSON unless `contentType` says otherwise); absent: no body. */
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
  /** Other representations of the same answer (e.g. `text/csv`), described but not schema'd. */
  alternatives?: Record<string, string>;
}

export interface ApiOperation {
  method: HttpMethod;
  /** The route exactly as Hono registers it (`/v1/sales/:id`): the coverage test compares these. */
  route: string;
  /**
   * Fixed values for some of the route's parameters: the operation documents that instance (the
   * reports, one operation per report name, each with its own query).
   */
  fixed?: Record<string, string>;
  tag: string;
  summary: string;
  description?: string;
  auth?: ApiAuth | undefined;
  /** Descriptions of the path parameters (every `:name` of the route is one, a string). */
  params?: Record<string, string>;
  /** The schema the route parses its query string with (an object: one parameter per key). */
  query?: z.ZodType;
  /** The schema the route (or the service it calls) parses its JSON body with. */
  body?: z.ZodType;
  /** Answers by status; any other status answers the shared error body (the `default` response). */
  responses: Record<number, ApiResponse>;
}

export interface ApiDescription {
  title: string;
  version: string;
  description: string;
  operations: ApiOperation[];
}

/** `/v1/sales/:id` → `/v1/sales/{id}`, with fixed parameters filled in. */
export function documentPath(op: Pick<ApiOperation, 'route' | 'fixed'>): string {
  return op.route.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => op.fixed?.[name] ?? `{${name}}`);
}

/** The path parameters a route has left once its fixed ones are filled in. */
export function pathParams(op: Pick<ApiOperation, 'route' | 'fixed'>): string[] {
  return [...op.route.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!).filter((n) => !op.fixed?.[n]);
}

/** `200` with `schema`. */
export const ok = (description: string, schema: z.ZodType): Record<number, ApiResponse> => ({
  200: { description, schema },
});

/** `201` with `schema`. */
export const created = (description: string, schema: z.ZodType): Record<number, ApiResponse> => ({
  201: { description, schema },
});

/** `204`, no body. */
export const noContent: Record<number, ApiResponse> = { 204: { description: 'done; no body' } };
