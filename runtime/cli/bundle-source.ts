/**
 * Where the offline CLIs get their rule bundle: a synthesized file (`dist/portcullis-bundle.json`)
 * or the policy app synthesized on the fly into a temporary folder (`--policies`), both validated by
 * the same loader the runtime uses.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUNDLE_FILE, loadBundle, type LoadedBundle } from '../bundle';
import { InputError } from './input';

export const DEFAULT_BUNDLE = 'dist/portcullis-bundle.json';
export const DEFAULT_POLICY_APP = 'policies/main.ts';

export function loadBundleFile(file: string): LoadedBundle {
  if (!existsSync(file)) throw new InputError(`bundle ${file} not found (run \`npm run synth\`, or pass --policies to synthesize on the fly)`);
  try {
    return loadBundle(readFileSync(file));
  } catch (err) {
    throw new InputError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Run the cdk8s policy app (`npx tsx <app>`) with its output redirected to a temporary folder and
 * load the bundle it wrote. The working tree's dist/ is never touched.
 */
export function synthesizeBundle(app: string = DEFAULT_POLICY_APP, cwd: string = process.cwd()): LoadedBundle {
  const entry = path.resolve(cwd, app);
  if (!existsSync(entry)) throw new InputError(`policy app ${app} not found`);
  const outdir = mkdtempSync(path.join(tmpdir(), 'portcullis-synth-'));
  try {
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli', { paths: [cwd, __dirname] }), entry], {
      cwd,
      env: { ...process.env, CDK8S_OUTDIR: outdir },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) {
      const detail = `${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim().split('\n').slice(0, 20).join('\n');
      throw new InputError(`synthesizing ${app} failed:\n${detail}`);
    }
    return loadBundleFile(path.join(outdir, BUNDLE_FILE));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
