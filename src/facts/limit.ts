// A counting semaphore for work that holds file descriptors (git children, file reads).
// Starting one per package at once ran out of descriptors with about 1,000 packages
// (`spawn git EMFILE`); queued work starts as earlier work settles, in order.

export interface Limiter {
  /** Runs `task` once fewer than the limit run; settles as `task` does. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createLimiter(max: number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    running -= 1;
    const next = waiting.shift();
    if (next) next();
  };
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      const start = (): Promise<T> => {
        running += 1;
        let settled: Promise<T>;
        try {
          settled = task();
        } catch (error) {
          settled = Promise.reject(error);
        }
        return settled.finally(release);
      };
      if (running < max) return start();
      return new Promise<T>((resolve, reject) => waiting.push(() => void start().then(resolve, reject)));
    },
  };
}
