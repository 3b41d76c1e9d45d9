/**
 * `portcullis diff <old> <new>`: what enforcement changes between two rule bundles, in words.
 * Each side is a bundle file, `-` (stdin), a git ref (`main`, `HEAD~1`: the bundle at
 * `--bundle-path` in that commit) or an explicit `<ref>:<path>`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BundleError, loadBundle, type Bundle } from '../bundle';
import { diffBundles } from '../report/bundle-diff';
import { renderJson, renderMarkdown, renderText, type DiffSides } from '../report/diff-render';
import type { Command } from './main';

const USAGE = `usage: portcullis diff <old> <new> [options]

  <old>, <new>          a bundle file, "-" for stdin, a git ref (the bundle at --bundle-path
                        in that commit) or "<ref>:<path>"
  -o, --output FORMAT   text (default), markdown (for a PR comment) or json
      --now TIME        RFC 3339 clock for "exemption has expired" (default: now)
      --bundle-path P   bundle path inside a git ref (default dist/portcullis-bundle.json)
      --exit-code       exit 1 when enforcement changes at all
      --fail-if-looser  exit 1 when any change loosens enforcement

exit status: 0 = done (no flag tripped), 1 = a flag above tripped, 2 = usage or input error
`;

const FORMATS = ['text', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];

export class DiffInputError extends Error {}

/** Read one side: a file, stdin, or a git object. */
export function readSide(spec: string, bundlePath: string, cwd: string = process.cwd()): string {
  if (spec === '-') return readFileSync(0, 'utf8');
  if (existsSync(spec)) return readFileSync(spec, 'utf8');
  const object = spec.includes(':') ? spec : `${spec}:${bundlePath}`;
  try {
    return execFileSync('git', ['show', object], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new DiffInputError(`"${spec}" is neither a file nor a git object (${object}): ${stderr !== undefined && stderr !== '' ? stderr : (err as Error).message}`);
  }
}

function load(spec: string, bundlePath: string): Bundle {
  try {
    return loadBundle(readSide(spec, bundlePath)).bundle;
  } catch (err) {
    if (err instanceof BundleError) throw new DiffInputError(`${spec}: ${err.message}`);
    throw err;
  }
}

function run(argv: string[]): Promise<number> {
  return Promise.resolve(runSync(argv));
}

function runSync(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o', default: 'text' },
        now: { type: 'string' },
        'bundle-path': { type: 'string', default: 'dist/portcullis-bundle.json' },
        'exit-code': { type: 'boolean', default: false },
        'fail-if-looser': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`portcullis diff: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 2) {
    process.stderr.write(`portcullis diff: expected two bundles, got ${positionals.length}\n${USAGE}`);
    return 2;
  }
  const format = values.output as Format;
  if (!FORMATS.includes(format)) {
    process.stderr.write(`portcullis diff: unknown --output "${values.output}" (text, markdown or json)\n`);
    return 2;
  }
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) {
    process.stderr.write(`portcullis diff: --now "${values.now}" is not a date\n`);
    return 2;
  }
  const [oldSpec, newSpec] = positionals;
  let oldBundle: Bundle;
  let newBundle: Bundle;
  try {
    oldBundle = load(oldSpec, values['bundle-path']);
    newBundle = load(newSpec, values['bundle-path']);
  } catch (err) {
    if (err instanceof DiffInputError) {
      process.stderr.write(`portcullis diff: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const diff = diffBundles(oldBundle, newBundle, { now });
  const sides: DiffSides = { oldLabel: oldSpec, newLabel: newSpec };
  const render = format === 'markdown' ? renderMarkdown : format === 'json' ? renderJson : renderText;
  process.stdout.write(render(diff, sides));
  if (values['exit-code'] && diff.changes.length > 0) return 1;
  if (values['fail-if-looser'] && diff.summary.looser > 0) return 1;
  return 0;
}

export const command: Command = {
  summary: 'say in words what enforcement changes between two bundles (files or git refs)',
  run,
};
