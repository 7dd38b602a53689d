// The journal export's body (cloud/http/line-stream.ts): every line in order, a producer that waits
// while the reader is behind (never more than a chunk ahead), stops when the reader goes away, and
// an error after the first byte that reaches the reader instead of a clean end.
import { describe, expect, it } from 'vitest';
import { lineStream } from '../../cloud/http/line-stream.ts';

const decoder = new TextDecoder();

describe('a streamed body of lines', () => {
  it('delivers every line in order, the producer never more than a chunk ahead of the reader', async () => {
    let produced = 0;
    const body = lineStream(async (write) => {
      for (let i = 0; i < 1000; i++) {
        produced = i + 1;
        if (!(await write(`line ${i}`))) return;
      }
    }, 100);
    const reader = body.getReader();
    let text = '';
    let ahead = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
      const read = text.split('\n').length - 1;
      ahead = Math.max(ahead, produced - read);
      // A slow reader: the producer gets every chance to run ahead while it waits.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(text.trimEnd().split('\n')).toEqual(Array.from({ length: 1000 }, (_, i) => `line ${i}`));
    // One chunk unread, one being filled (each line here is 7–9 characters, a chunk 100).
    expect(ahead).toBeLessThanOrEqual(30);
  });

  it('stops the producer when the reader goes away', async () => {
    let produced = 0;
    let stopped = false;
    const done = new Promise<void>((resolve) => {
      const body = lineStream(async (write) => {
        for (;;) {
          produced += 1;
          if (!(await write('x'.repeat(50)))) break;
        }
        stopped = true;
        resolve();
      }, 100);
      const reader = body.getReader();
      void reader.read().then(() => reader.cancel());
    });
    await done;
    expect(stopped).toBe(true);
    expect(produced).toBeLessThan(10);
  });

  it('errors the body when the producer fails after the first byte', async () => {
    const body = lineStream(async (write) => {
      for (let i = 0; i < 10; i++) await write(`line ${i}`);
      throw new Error('the database went away');
    }, 20);
    const reader = body.getReader();
    const read = async () => {
      for (;;) if ((await reader.read()).done) return;
    };
    await expect(read()).rejects.toThrow('the database went away');
  });
});
