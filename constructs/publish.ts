/**
 * Safe output for GitOps: a refused synth must never change `dist/`. The cdk8s CLI empties its
 * output folder before it runs the app, so `cdk8s.yaml` points the CLI at a staging folder
 * (`.portcullis/synth`, gitignored) and the app, once synth succeeded, replaces `dist/` with what it
 * staged. The old `dist/` stays in place until the new one is complete: the new tree is copied next
 * to it, then two renames swap them (a crash in between leaves the old tree as `.dist.old-<pid>`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export { PUBLISH_DIR, STAGING_DIR } from '../runtime/bundle/layout';

/** Replace the folder `target` by a copy of `staged`; `target`'s parent must be writable. */
export function publishDirectory(staged: string, target: string): void {
  const parent = path.dirname(target);
  const base = path.basename(target);
  fs.mkdirSync(parent, { recursive: true });
  const next = fs.mkdtempSync(path.join(parent, `.${base}.next-`));
  try {
    fs.cpSync(staged, next, { recursive: true });
  } catch (err) {
    fs.rmSync(next, { recursive: true, force: true });
    throw err;
  }
  const old = path.join(parent, `.${base}.old-${process.pid}`);
  const hadTarget = fs.existsSync(target);
  if (hadTarget) fs.renameSync(target, old);
  fs.renameSync(next, target);
  if (hadTarget) fs.rmSync(old, { recursive: true, force: true });
}

/** The files of a folder, relative and sorted (for the one-line report). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}
