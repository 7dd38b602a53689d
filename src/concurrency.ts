// Work over many tenants at once, but never more than a bound at a time: what `migrate --all` and
// the operator's fan-out report share.

/**
 * Calls `fn` for every item with at most `concurrency` calls in flight, and answers the results in
 * the items' order. `fn` should catch its own failures: one that throws rejects the whole call.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker));
  return results;
}
