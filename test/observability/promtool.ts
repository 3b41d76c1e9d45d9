/**
 * Debian's `promtool` (package `prometheus`) for the observability pack's tests. Missing binary:
 * with env `CI` set, `promtoolAvailable()` throws loudly (CI installs it, see .ci/run); locally the
 * callers skip with the notice `promtoolSkipNotice()` prints.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PROMTOOL = process.env.PORTCULLIS_PROMTOOL ?? '/usr/bin/promtool';

export function promtoolAvailable(): boolean {
  if (existsSync(PROMTOOL)) return true;
  if (process.env.CI) throw new Error(`${PROMTOOL} is missing: CI must install Debian's prometheus package (see .ci/run)`);
  return false;
}

export function promtoolSkipNotice(): string {
  const notice = `NOTICE: ${PROMTOOL} not found — promtool checks of the alerts and dashboard are SKIPPED (apt-get install prometheus)`;
  process.stderr.write(`${notice}\n`);
  return notice;
}

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Run `promtool <args>` in `cwd`; stdout and stderr together. */
export function promtool(args: string[], cwd: string): PromtoolResult {
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
