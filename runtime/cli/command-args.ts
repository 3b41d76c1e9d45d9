/**
 * The command-line plumbing `diff` and `scan` share: flags parsed by node:util `parseArgs` with
 * positionals and `-h/--help`, and one shape for usage errors (`portcullis <command>: <error>` on
 * stderr, exit status 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: O & typeof HELP }>>;

/** Write `portcullis <command>: <message>` to stderr; returns the usage-error exit status, 2. */
export function usageFailure(command: string, message: string): 2 {
  process.stderr.write(`portcullis ${command}: ${message}\n`);
  return 2;
}

/**
 * Parse `argv` against `options` (plus `-h/--help`). Returns the parsed flags and positionals, or
 * the exit status when there is nothing more to do: 0 after printing `usage` for --help, 2 after
 * printing the parse error and `usage` to stderr.
 */
export function parseCommandArgs<const O extends Options>(command: string, usage: string, argv: string[], options: O): Parsed<O> | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...options, ...HELP } });
  } catch (err) {
    process.stderr.write(`portcullis ${command}: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage);
    return 0;
  }
  return parsed;
}
