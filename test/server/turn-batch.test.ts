/**
 * TurnBatch: the reviews of one event-loop turn are evaluated together, in arrival order, after the
 * turn's synchronous work; values, promises and throws reach the right caller.
 */
import { describe, expect, it } from 'vitest';
import { TurnBatch } from '../../runtime/server/turn-batch';

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TurnBatch', () => {
  it('runs the jobs of one turn together, in arrival order, in one check-phase callback', async () => {
    const order: string[] = [];
    const sizes: number[] = [];
    const batch = new TurnBatch((size) => {
      order.push(`after(${size})`);
      sizes.push(size);
    });
    const answers = ['a', 'b', 'c'].map((name) =>
      batch.run(() => {
        order.push(name);
        return name.toUpperCase();
      }),
    );
    // Queued after the batch was scheduled: runs after all three jobs and the afterBatch call.
    setImmediate(() => order.push('later immediate'));
    expect(order).toEqual([]);
    expect(batch.pending).toBe(3);
    await Promise.resolve();
    expect(order).toEqual([]); // not on a microtask: after the turn's I/O
    expect(await Promise.all(answers)).toEqual(['A', 'B', 'C']);
    await nextCheckPhase();
    expect(order).toEqual(['a', 'b', 'c', 'after(3)', 'later immediate']);
    expect(sizes).toEqual([3]);
    expect(batch.pending).toBe(0);
  });

  it('sends a job queued while a batch runs to the next batch', async () => {
    const sizes: number[] = [];
    const batch = new TurnBatch((size) => sizes.push(size));
    const order: string[] = [];
    let inner: Promise<string> | undefined;
    const outer = batch.run(() => {
      inner = batch.run(() => {
        order.push('inner');
        return 'inner';
      });
      order.push('outer');
      return 'outer';
    });
    const sibling = batch.run(() => {
      order.push('sibling');
      return 'sibling';
    });
    expect(await outer).toBe('outer');
    expect(await sibling).toBe('sibling');
    expect(await inner).toBe('inner');
    expect(order).toEqual(['outer', 'sibling', 'inner']);
    expect(sizes).toEqual([2, 1]);
  });

  it('runs a burst larger than the batch bound in bounded batches, in order, one per turn', async () => {
    const sizes: number[] = [];
    const batch = new TurnBatch((size) => sizes.push(size), 4);
    const order: number[] = [];
    const answers = Array.from({ length: 10 }, (_, i) =>
      batch.run(() => {
        order.push(i);
        return i;
      }),
    );
    // Joins the queue behind the burst: it runs in the last batch.
    await nextCheckPhase();
    expect(sizes).toEqual([4]);
    const late = batch.run(() => {
      order.push(10);
      return 10;
    });
    expect(await Promise.all([...answers, late])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(sizes).toEqual([4, 4, 3]);
  });

  it('passes a promise through and rejects only the caller whose job threw', async () => {
    const batch = new TurnBatch();
    const later = batch.run(() => new Promise<number>((resolve) => setTimeout(() => resolve(7), 5)));
    const failed = batch.run((): number => {
      throw new RangeError('engine bug');
    });
    const odd = batch.run((): number => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw 'not an Error';
    });
    const fine = batch.run(() => 1);
    await expect(failed).rejects.toThrow(RangeError);
    await expect(odd).rejects.toThrow('not an Error');
    expect(await fine).toBe(1);
    expect(await later).toBe(7);
  });
});
