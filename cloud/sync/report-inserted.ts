// What became of the documents a batch inserted with `ON CONFLICT DO NOTHING`: applied, or taken meanwhile.
import type { ValidMutation } from './validate.ts';
import type { Report } from './write-documents.ts';

/** Each document inserted is applied; one the insert skipped had its id taken by a concurrent batch. */
export function reportInserted<M extends ValidMutation & { doc: { id: string } }>(
  written: readonly M[],
  inserted: ReadonlySet<string>,
  report: Report,
): void {
  for (const m of written) {
    report(
      m,
      inserted.has(m.doc.id)
        ? 'applied'
        : { code: 'id_conflict', reason: `id ${m.doc.id} was taken meanwhile` },
    );
  }
}
