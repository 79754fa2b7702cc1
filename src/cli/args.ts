import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './context.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes (README, Commands). */
export const COMMON_OPTIONS = {
  policy: { type: 'string' },
  cwd: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export function parseCommandArgs<T extends Options>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = 0,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.positionals.length > allowPositionals && !(parsed.values as Record<string, unknown>).help) {
      throw new UsageError(
        `policy ${command}: unexpected argument "${parsed.positionals[allowPositionals]}"`,
        `Run \`policy ${command} --help\`.`,
      );
    }
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = (error as Error).message.replace(/\. To specify.*$/s, '');
    throw new UsageError(`policy ${command}: ${message}`, `Run \`policy ${command} --help\`.`);
  }
}

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
}
