/**
 * `portcullis diff <old> <new>`: what enforcement changes between two rule bundles, in words.
 * Each side is a bundle file, `-` (stdin), a git ref (`main`, `HEAD~1`: the bundle at
 * `--bundle-path` in that commit) or an explicit `<ref>:<path>`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { BundleError, loadBundle, type Bundle } from '../bundle';
import { diffBundles } from '../report/bundle-diff';
import { renderJson, renderMarkdown, renderText, type DiffSides } from '../report/diff-render';
import { parseCommandArgs, usageFailure } from './command-args';
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
  const parsed = parseCommandArgs('diff', USAGE, argv, {
    output: { type: 'string', short: 'o', default: 'text' },
    now: { type: 'string' },
    'bundle-path': { type: 'string', default: 'dist/portcullis-bundle.json' },
    'exit-code': { type: 'boolean', default: false },
    'fail-if-looser': { type: 'boolean', default: false },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 2) return usageFailure('diff', `expected two bundles, got ${positionals.length}\n${USAGE.trimEnd()}`);
  const format = values.output as Format;
  if (!FORMATS.includes(format)) return usageFailure('diff', `unknown --output "${values.output}" (text, markdown or json)`);
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) return usageFailure('diff', `--now "${values.now}" is not a date`);
  const [oldSpec, newSpec] = positionals;
  let oldBundle: Bundle;
  let newBundle: Bundle;
  try {
    oldBundle = load(oldSpec, values['bundle-path']);
    newBundle = load(newSpec, values['bundle-path']);
  } catch (err) {
    if (err instanceof DiffInputError) return usageFailure('diff', err.message);
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
