import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/facts/limit.js';

describe('createLimiter', () => {
  it('runs at most `max` tasks at once, starts every task, and settles each as its task does', async () => {
    const limiter = createLimiter(3);
    let running = 0;
    let peak = 0;
    const task = (value: number) => async (): Promise<number> => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      if (value === 7) throw new Error('seven');
      return value * 2;
    };
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => limiter.run(task(i))));
    expect(peak).toBe(3);
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual(
      Array.from({ length: 20 }, (_, i) => i * 2).filter((v) => v !== 14),
    );
    expect(results[7]).toEqual({ status: 'rejected', reason: new Error('seven') });
  });

  it('a task that throws before returning a promise frees its slot', async () => {
    const limiter = createLimiter(1);
    await expect(limiter.run(() => { throw new Error('at once'); })).rejects.toThrow('at once');
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
  });
});
