import type { CliContext } from './context.js';

/** `POLICY_TIMING=1` prints where a command spent its time, on standard error (like ESLint's TIMING). */
export function createTiming(ctx: CliContext): { mark(label: string): void; print(): void } {
  const enabled = ctx.env.POLICY_TIMING === '1';
  const marks: [string, number][] = [];
  let last = enabled ? performance.now() : 0;
  return {
    mark(label) {
      if (!enabled) return;
      const now = performance.now();
      marks.push([label, now - last]);
      last = now;
    },
    print() {
      if (!enabled) return;
      const lines = marks.map(([label, ms]) => `${ms.toFixed(1).padStart(7)} ms  ${label}`);
      ctx.stderr(`timing (since process start ${performance.now().toFixed(1)} ms):\n${lines.join('\n')}\n`);
    },
  };
}
