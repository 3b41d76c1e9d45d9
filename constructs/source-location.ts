/**
 * Where a construct was declared, for synth error messages ("policies/pod-security.ts:14"). Taken
 * from the call stack of the constructor: the first frame outside `constructs/` and node_modules.
 * Only error messages carry the line; the bundle carries the file alone, so moving a declaration
 * within a file does not change the bundle hash.
 */
import * as path from 'node:path';

export interface SourceLocation {
  /** Path relative to the working directory, with forward slashes. */
  readonly file: string;
  readonly line: number;
}

const CONSTRUCTS_DIR = __dirname;

export function callerLocation(): SourceLocation | undefined {
  const stack = new Error().stack ?? '';
  for (const raw of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?$/.exec(raw.trim());
    if (m === null) continue;
    const file = m[1].startsWith('file://') ? new URL(m[1]).pathname : m[1];
    if (!path.isAbsolute(file)) continue;
    if (file.startsWith(CONSTRUCTS_DIR + path.sep) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    return { file: path.relative(process.cwd(), file).split(path.sep).join('/'), line: Number(m[2]) };
  }
  return undefined;
}

export function formatLocation(loc: SourceLocation | undefined): string {
  return loc === undefined ? '' : `${loc.file}:${loc.line}`;
}
