// Answers checked against the OpenAPI document of the app that gave them (docs/testing.md#openapi):
// a documented operation, a status it lists (or an error status with the shared error body) and a
// body the zod schema the document was generated from accepts. Test request helpers call these, so
// a test that meets an undocumented answer fails, naming the operation.
import type { Hono } from 'hono';
import { conformanceProblems } from '../../src/http/openapi/conformance.ts';
import { apiDescriptionOf } from '../../src/http/openapi/serve.ts';

/** Throws unless `app`'s document describes the answer (apps that serve no document pass). */
export function checkAgainstDocument(
  app: Hono,
  method: string,
  path: string,
  status: number,
  contentType: string,
  body: unknown,
): void {
  const api = apiDescriptionOf(app);
  if (!api) return;
  const problems = conformanceProblems(api, method, path, status, contentType, body);
  if (problems.length > 0) {
    throw new Error(`the answer is not the one the OpenAPI document describes:\n${problems.join('\n')}`);
  }
}

/** The same check for a raw Response (read through a clone, so the caller still reads its body). */
export async function documented(app: Hono, method: string, path: string, res: Response): Promise<Response> {
  const type = res.headers.get('content-type') ?? '';
  let body: unknown;
  if (/^application\/json/i.test(type)) {
    const text = await res.clone().text();
    body = text === '' ? undefined : JSON.parse(text);
  }
  checkAgainstDocument(app, method, path, res.status, type, body);
  return res;
}
