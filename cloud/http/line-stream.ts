// A response body written line by line by a producer that reads the database as it goes (the
// journal export): lines are sent in chunks, the producer waits while the client is behind, stops
// when the client goes away, and an error after the first byte aborts the body instead of ending it.

/** Lines are sent in chunks of about this many characters. */
export const CHUNK_CHARS = 64 * 1024;

/**
 * A byte stream `produce` writes lines into. `write` resolves once the line is queued and the
 * reader has room (at most one chunk waits unread), and answers false once the reader went away:
 * produce should then stop. A rejected `produce` errors the stream, so a client never takes a cut-off
 * body for a whole one.
 */
export function lineStream(
  produce: (write: (line: string) => Promise<boolean>) => Promise<void>,
  chunkChars = CHUNK_CHARS,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cancelled = false;
  let wake: (() => void) | undefined;
  let pending = '';
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const flush = async () => {
        controller.enqueue(encoder.encode(pending));
        pending = '';
        while (!cancelled && (controller.desiredSize ?? 0) <= 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      };
      const write = async (line: string) => {
        if (cancelled) return false;
        pending += `${line}\n`;
        if (pending.length >= chunkChars) await flush();
        return !cancelled;
      };
      produce(write).then(
        () => {
          if (cancelled) return;
          if (pending !== '') controller.enqueue(encoder.encode(pending));
          controller.close();
        },
        (err: unknown) => {
          if (!cancelled) controller.error(err);
        },
      );
    },
    pull() {
      wake?.();
      wake = undefined;
    },
    cancel() {
      cancelled = true;
      wake?.();
    },
  });
}
