/**
 * `portcullis test`: evaluate manifests and AdmissionReviews offline against a rule bundle with the
 * runtime's own engine — mutation, then validation of the mutated object, as the API server does.
 *
 *   portcullis test <files|dirs…> [--bundle dist/portcullis-bundle.json | --policies [policies/main.ts]]
 *                   [--output table|json] [--namespace-labels k=v,…] [--now <RFC3339>]
 *                   [--offline | --verify-images [--docker-config <file>]]
 *
 * Inputs: multi-document YAML/JSON manifests (Pods and controllers; Namespace documents supply
 * namespace labels), AdmissionReview JSON, and PolicyTest fixtures (see ./fixtures.ts), which are
 * run and checked against their expectations.
 * Images: by default (`--offline`) nothing is contacted and no signature is checked: a
 * verifyImages rule that matches an image is `skip` ("offline: signatures not checked"; see
 * ./offline-images.ts), neither an error nor a denial, and tags are not pinned. `--verify-images`
 * uses the runtime's verifier (runtime/images, as `serve` does: the bundle's trusted roots,
 * `--docker-config` credentials), which contacts only the registries the policies name. Fixtures
 * always use what they declare in `signatures` (./fixture-images.ts), never a registry.
 * Exit codes: 0 all admitted (and every fixture expectation met), 1 an Enforce policy denies (or an
 * error under failurePolicy Fail, or a fixture expectation failed), 2 usage or input errors.
 */
import { readFileSync } from 'node:fs';
import type { LoadedBundle } from '../bundle';
import type { ImageVerifier } from '../engine/types';
import type { ClosableImageVerifier } from '../images';
import { DEFAULT_BUNDLE, DEFAULT_POLICY_APP, loadBundleFile, synthesizeBundle } from './bundle-source';
import { isFixtureDocument, parseFixture, renderFixtureChecks, runFixture, type Fixture, type FixtureCheck } from './fixtures';
import { expandInputPaths, InputError, parseDocuments, parseLabelList, toInputs } from './input';
import type { Command } from './main';
import { offlineImageVerifier } from './offline-images';
import { evaluateDocuments } from './offline-run';
import { renderJson, renderTable } from './report-format';

const USAGE = `usage: portcullis test <files|dirs...> [--bundle ${DEFAULT_BUNDLE} | --policies [${DEFAULT_POLICY_APP}]]
                       [--output table|json] [--namespace-labels k=v,...] [--now <RFC3339>]
                       [--offline | --verify-images [--docker-config <file>]]

  Signatures are not checked by default (offline): signature rules report "skip". --verify-images checks
  them against the registries the policies name (--docker-config: registry credentials).`;

export interface TestOptions {
  files: string[];
  bundle?: string;
  policies?: string;
  output: 'table' | 'json';
  namespaceLabels?: Record<string, string>;
  now: Date;
  /** Explicitly offline (the default; refuses --verify-images). */
  offline: boolean;
  /** Check signatures against the registries (the runtime's verifier). */
  verifyImages?: boolean;
  dockerConfig?: string;
}

class UsageError extends Error {}

/** Parse the command line (pure, apart from the default clock). */
export function parseTestArgs(argv: readonly string[], now: Date = new Date()): TestOptions | 'help' {
  const o: TestOptions = { files: [], output: 'table', now, offline: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '-h':
      case '--help':
        return 'help';
      case '--bundle':
        o.bundle = value();
        break;
      case '--policies': {
        const next = argv[i + 1];
        o.policies = next !== undefined && !next.startsWith('-') && /\.[cm]?[tj]s$/.test(next) ? argv[++i] : DEFAULT_POLICY_APP;
        break;
      }
      case '--output':
      case '-o': {
        const v = value();
        if (v !== 'table' && v !== 'json') throw new UsageError(`--output must be table or json, not "${v}"`);
        o.output = v;
        break;
      }
      case '--namespace-labels':
        o.namespaceLabels = { ...(o.namespaceLabels ?? {}), ...parseLabelList(value()) };
        break;
      case '--now': {
        const v = value();
        if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(Date.parse(v))) {
          throw new UsageError(`--now must be an RFC 3339 time such as 2026-06-01T00:00:00Z, not "${v}"`);
        }
        o.now = new Date(v);
        break;
      }
      case '--offline':
        o.offline = true;
        break;
      case '--verify-images':
        o.verifyImages = true;
        break;
      case '--docker-config':
        o.dockerConfig = value();
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        o.files.push(a);
    }
  }
  if (o.bundle !== undefined && o.policies !== undefined) throw new UsageError('give --bundle or --policies, not both');
  if (o.files.length === 0) throw new UsageError('no input files');
  if (o.offline && o.verifyImages === true) throw new UsageError('give --offline or --verify-images, not both');
  if (o.dockerConfig !== undefined && o.verifyImages !== true) throw new UsageError('--docker-config needs --verify-images (offline, no registry is contacted)');
  return o;
}

export interface TestRun {
  exitCode: number;
  stdout: string;
}

/** Everything but the process: read, evaluate, render. */
export async function runTest(o: TestOptions): Promise<TestRun> {
  const loaded: LoadedBundle = o.policies !== undefined ? synthesizeBundle(o.policies) : loadBundleFile(o.bundle ?? DEFAULT_BUNDLE);
  const docs: Array<{ source: string; doc: Record<string, unknown> }> = [];
  const fixtures: Fixture[] = [];
  for (const f of expandInputPaths(o.files)) {
    for (const d of parseDocuments(readFileSync(f, 'utf8'), f)) {
      if (isFixtureDocument(d.doc)) fixtures.push(parseFixture(d.doc, f));
      else docs.push(d);
    }
  }
  const inputs = toInputs(docs, o.namespaceLabels ? { namespaceLabels: o.namespaceLabels } : {});
  let registry: ClosableImageVerifier | undefined;
  if (o.verifyImages === true && inputs.length > 0) {
    const { createImageVerifier } = await import('../images'); // sigstore is loaded only to verify
    registry = createImageVerifier({
      trustedRoots: loaded.bundle.trust.trustedRoots,
      ...(o.dockerConfig !== undefined ? { dockerConfigPath: o.dockerConfig } : {}),
    });
  }
  const images: ImageVerifier = registry ?? offlineImageVerifier();
  try {
    const reports = await evaluateDocuments(inputs, loaded.bundle, { now: o.now, images });
    const checks: FixtureCheck[] = [];
    for (const fx of fixtures) checks.push(...(await runFixture(fx, loaded.bundle, o.now)));
    let stdout = '';
    if (o.output === 'json') {
      stdout = fixtures.length === 0 ? renderJson(reports) : `${JSON.stringify({ resources: JSON.parse(renderJson(reports)) as unknown, fixtures: checks }, null, 2)}\n`;
    } else {
      if (inputs.length > 0) stdout += renderTable(reports);
      if (fixtures.length > 0) stdout += `${stdout === '' ? '' : '\n'}${renderFixtureChecks(checks)}`;
    }
    const denied = reports.some((r) => !r.allowed) || checks.some((c) => !c.ok);
    return { exitCode: denied ? 1 : 0, stdout };
  } finally {
    registry?.close();
  }
}

export const command: Command = {
  summary: 'evaluate manifests, AdmissionReviews and policy fixtures offline (mutate, then validate)',
  run: async (argv) => {
    let options: TestOptions | 'help';
    try {
      options = parseTestArgs(argv);
    } catch (err) {
      process.stderr.write(`portcullis test: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    try {
      const r = await runTest(options);
      process.stdout.write(r.stdout);
      return r.exitCode;
    } catch (err) {
      if (err instanceof InputError) {
        process.stderr.write(`portcullis test: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  },
};
