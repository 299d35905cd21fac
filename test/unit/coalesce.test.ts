import { describe, expect, it } from 'vitest';
import { readsAfterCall } from '../../lib/coalesce';

/** A read that the test finishes by hand, numbered in the order it began. */
function reads() {
  const started: { n: number; finish: (v: string) => void; fail: (e: Error) => void }[] = [];
  const read = () =>
    new Promise<string>((resolve, reject) => {
      started.push({ n: started.length + 1, finish: resolve, fail: reject });
    });
  return { started, read };
}

describe('readsAfterCall', () => {
  it('shares the next read among calls that overlap one in flight, never the one begun before them', async () => {
    const shared = readsAfterCall<string, string>();
    const { started, read } = reads();
    const first = shared('a', read);
    expect(started).toHaveLength(1);
    // Two calls while read 1 is in flight: they wait for it and share read 2, which begins after it ends.
    const second = shared('a', read);
    const third = shared('a', read);
    expect(started).toHaveLength(1);
    started[0]!.finish('r1');
    expect(await first).toBe('r1');
    await new Promise((resolve) => setImmediate(resolve)); // the promise callbacks run
    expect(started).toHaveLength(2);
    started[1]!.finish('r2');
    expect(await second).toBe('r2');
    expect(await third).toBe('r2');
    // Another key has reads of its own.
    const other = shared('b', read);
    expect(started).toHaveLength(3);
    started[2]!.finish('b1');
    expect(await other).toBe('b1');
  });

  it('a failed read fails the calls that share it, and the next call reads again', async () => {
    const shared = readsAfterCall<string, string>();
    const { started, read } = reads();
    const first = shared('a', read);
    started[0]!.fail(new Error('down'));
    await expect(first).rejects.toThrow('down');
    const again = shared('a', read);
    expect(started).toHaveLength(2);
    started[1]!.finish('r2');
    expect(await again).toBe('r2');
  });
});
