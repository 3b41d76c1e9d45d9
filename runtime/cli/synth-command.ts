/**
 * `portcullis synth`: synthesize the policy app the way `cdk8s synth` does (the `app` command of
 * `cdk8s.yaml`, `CDK8S_OUTDIR` set), but without its hazards: the app runs against the staging folder
 * and publishes `dist/` only when synth succeeds (constructs/publish.ts), refusals print the
 * construct messages without a stack trace, and nothing contacts the network (no upgrade check).
 * `--output DIR` writes DIR only and leaves `dist/` alone (CI compares DIR with the committed dist/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PUBLISH_DIR, STAGING_DIR } from '../bundle/layout';
import { parseCommandArgs, usageFailure } from './command-args';
import { InputError } from './input';
import type { Command } from './main';


const USAGE = `usage: portcullis synth [options]

  Runs the app command of cdk8s.yaml (e.g. "npx tsx policies/main.ts") with its output in
  ${STAGING_DIR}/; the app replaces ${PUBLISH_DIR}/ only when synth succeeds, so a refused
  synth leaves ${PUBLISH_DIR}/ byte-identical.

  -o, --output DIR   write the manifests to DIR instead (dist/ untouched)
      --app CMD      the app command (default: "app" in cdk8s.yaml)

exit status: 0 = synthesized, 1 = synth refused (problems on stderr), 2 = usage or setup error
`;

interface Cdk8sConfig {
  app?: unknown;
  output?: unknown;
}

function readConfig(cwd: string): Cdk8sConfig {
  const file = path.join(cwd, 'cdk8s.yaml');
  if (!existsSync(file)) return {};
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`cdk8s.yaml: ${err instanceof Error ? err.message : String(err)}`);
  }
  return doc !== null && typeof doc === 'object' ? (doc) : {};
}

function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('synth', USAGE, argv, {
    output: { type: 'string', short: 'o' },
    app: { type: 'string' },
  });
  if (typeof parsed === 'number') return Promise.resolve(parsed);
  if (parsed.positionals.length > 0) return Promise.resolve(usageFailure('synth', `unexpected argument "${parsed.positionals[0]}"`));
  const cwd = process.cwd();
  let config: Cdk8sConfig;
  try {
    config = readConfig(cwd);
  } catch (err) {
    if (err instanceof InputError) return Promise.resolve(usageFailure('synth', err.message));
    throw err;
  }
  const app = parsed.values.app ?? (typeof config.app === 'string' ? config.app : undefined);
  if (app === undefined || app.trim() === '') {
    return Promise.resolve(usageFailure('synth', 'no app command: set "app" in cdk8s.yaml (e.g. app: npx tsx policies/main.ts) or pass --app'));
  }
  const configured = typeof config.output === 'string' ? config.output : STAGING_DIR;
  if (parsed.values.output === undefined && path.resolve(cwd, configured) === path.resolve(cwd, PUBLISH_DIR)) {
    return Promise.resolve(
      usageFailure('synth', `cdk8s.yaml has "output: ${configured}": synthesizing straight into ${PUBLISH_DIR}/ can leave it half-written or empty. Fix: set "output: ${STAGING_DIR}".`),
    );
  }
  const outdir = path.resolve(cwd, parsed.values.output ?? STAGING_DIR);
  rmSync(outdir, { recursive: true, force: true });
  const r = spawnSync(app, { cwd, shell: true, stdio: 'inherit', env: { ...process.env, CDK8S_OUTDIR: outdir } });
  if (r.error !== undefined) return Promise.resolve(usageFailure('synth', `could not run "${app}": ${r.error.message}`));
  if (r.status !== 0) return Promise.resolve(r.status === null ? 1 : Math.min(r.status, 1));
  if (!existsSync(outdir)) return Promise.resolve(usageFailure('synth', `"${app}" exited 0 but wrote nothing to ${path.relative(cwd, outdir)}`));
  return Promise.resolve(0);
}

export const command: Command = { summary: 'synthesize dist/ from the policy app; a refused synth leaves dist/ as it was', run };
