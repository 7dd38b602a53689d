// The one error body of every HTTP API here, cloud and edge (SPEC §6), as a schema: the OpenAPI
// documents answer it for every status an operation does not list otherwise.
import { z } from 'zod';

export const apiErrorSchema = z.strictObject({
  error: z.strictObject({
    /** snake_case, stable: clients branch on it. */
    code: z.string().regex(/^[a-z][a-z0-9_]*$/),
    /** For people: says what was wrong and what to do. */
    message: z.string(),
    /** For `invalid_input`, one `{path, message}` per problem; other codes may say more. */
    details: z.unknown().optional(),
  }),
});

export type ApiError = z.infer<typeof apiErrorSchema>;
