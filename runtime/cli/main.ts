/**
 * `portcullis <command>`: one binary for the runtime and the offline tools. Each command lives in
 * its own module, loaded only when called (so `test` never loads Fastify).
 */
interface Command {
  summary: string;
  run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command')).command,
  test: async () => (await import('./test-command')).command,
  scan: async () => (await import('./scan-command')).command,
  diff: async () => (await import('./diff-command')).command,
  synth: async () => (await import('./synth-command')).command,
  init: async () => (await import('./init-command')).command,
  exemptions: async () => (await import('./exemptions-command')).command,
};

export type { Command };

/** The registered command names, in table order (the --help test runs each one). */
export function commandNames(): string[] {
  return Object.keys(COMMANDS);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  // `portcullis help <command>` is `portcullis <command> --help`
  if (name === 'help' && rest.length > 0) return main([rest[0], '--help']);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
    const lines = await Promise.all(
      Object.entries(COMMANDS).map(async ([n, load]) => `  ${n.padEnd(width)}  ${(await load()).summary}`),
    );
    process.stdout.write(
      `usage: portcullis <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
        `Run "portcullis <command> --help" (or "portcullis help <command>") for a command's options.\n`,
    );
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    process.stderr.write(`portcullis: unknown command "${name}" (try --help)\n`);
    return 2;
  }
  return (await load()).run(rest);
}

/** Run the CLI with these arguments and set the process's exit code (bin/portcullis calls this). */
export function runCli(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`portcullis: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) void runCli(process.argv.slice(2));

export { main };
