/**
 * `portcullis scan <files|dir|->`: evaluate existing workloads (e.g. `kubectl get
 * ns,pods,deploy,sts,ds,jobs,cronjobs -A -o yaml`) against the bundle the way admission would on
 * re-creation — every policy as Enforce by default — and report what would be blocked, aggregated
 * by policy/rule and namespace, as a table, JSON, YAML, PolicyReports or a self-contained HTML report.
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { BundleError, loadBundle, type LoadedBundle } from '../bundle';
import { isRecord } from '../engine/pod-view';
import type { EvaluationContext, ImageVerifier } from '../engine/types';
import { documentTexts, objectsOf, parseDocument } from '../report/documents';
import { buildPolicyReports, DEFAULT_MAX_REPORT_BYTES } from '../report/policy-report';
import { ScanAccumulator, type ScanResult } from '../report/scan-aggregate';
import { evaluateWorkload, prepareScanPolicies, resourceRef, workloadTarget, type ScanPolicies } from '../report/scan-evaluate';
import { toInputs } from './input';
import { buildInventory, DEFAULT_WINDOW_MS } from '../report/exemption-inventory';
import { renderScanHtml } from '../report/scan-html';
import { renderScanTable, scanJson, type RenderOptions } from '../report/scan-render';
import { parseCommandArgs, usageFailure } from './command-args';
import type { Command } from './main';

const USAGE = `usage: portcullis scan <file|dir|->... [options]

  Evaluates existing workloads (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs,
  CronJobs, ReplicationControllers; v1 Lists, multi-document YAML, JSON) the way admission would
  on re-creation, and reports what would be blocked. Typical input:
    kubectl get ns,pods,deploy,sts,ds,jobs,cronjobs -A -o yaml | portcullis scan -

  --bundle FILE             rule bundle (default dist/portcullis-bundle.json)
  -o, --output FORMAT       table (default), json, yaml, policyreport or html (one self-contained
                            page for a rollout review: charts by policy and namespace, top
                            messages, exemptions with their expiry; the numbers of -o json)
  --all                     include passing workloads / pass and skip results
  --details                 table: list every workload with findings and its messages
  --bundle-modes            evaluate with the bundle's modes (Audit only warns) instead of all as Enforce
  --namespace-labels NS:K=V[,K=V]   labels of namespace NS for namespaceSelectors (repeatable;
                            K=V[,K=V] without NS: every namespace; merged over the labels of
                            Namespace objects in the input)
  --now TIME                RFC 3339 clock for exemption expiry and report timestamps (default: now)
  --verify-images           check image signatures against the registries the policies name
  --docker-config FILE      registry credentials for --verify-images
  --max-report-bytes N      split PolicyReports above this size (default ${DEFAULT_MAX_REPORT_BYTES})
  --report-prefix NAME      PolicyReport name prefix (default portcullis-scan)

exit status: 0 = nothing would be blocked, 1 = something would be blocked,
             2 = usage error, unreadable bundle, or an input document that could not be parsed
`;

const FORMATS = ['table', 'json', 'yaml', 'policyreport', 'html'] as const;
type Format = (typeof FORMATS)[number];

class UsageError extends Error {}

/** The `--namespace-labels` key for labels given to every namespace (no namespace is named `*`). */
const ALL_NAMESPACES = '*';

/**
 * `NS:KEY=VALUE[,KEY=VALUE]` labels one namespace; `KEY=VALUE[,…]` (as `portcullis test` takes it)
 * labels every namespace. Label keys never contain `:`, so the first `:` before any `=` names a namespace.
 */
function parseNamespaceLabels(values: readonly string[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const v of values) {
    const colon = v.indexOf(':');
    const firstEq = v.indexOf('=');
    const scoped = colon > 0 && (firstEq < 0 || colon < firstEq);
    const ns = scoped ? v.slice(0, colon) : ALL_NAMESPACES;
    const body = scoped ? v.slice(colon + 1) : v;
    if (!scoped && firstEq <= 0) throw new UsageError(`--namespace-labels "${v}": expected NS:KEY=VALUE[,KEY=VALUE] or KEY=VALUE[,KEY=VALUE]`);
    const labels: Record<string, string> = { ...(out.get(ns) ?? {}) };
    for (const pair of body.split(',').filter((p) => p !== '')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--namespace-labels "${v}": "${pair}" is not KEY=VALUE`);
      labels[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    out.set(ns, labels);
  }
  return out;
}

/** Input files in a stable order: a directory contributes its *.yaml, *.yml and *.json, recursively. */
export function inputFiles(spec: string): string[] {
  if (spec === '-') return ['-'];
  let st;
  try {
    st = statSync(spec);
  } catch {
    throw new UsageError(`${spec}: no such file or directory`);
  }
  if (!st.isDirectory()) return [spec];
  const out: string[] = [];
  for (const entry of readdirSync(spec, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(spec, entry.name);
    if (entry.isDirectory()) out.push(...inputFiles(full));
    else if (/\.(ya?ml|json)$/i.test(entry.name)) out.push(full);
  }
  return out;
}

function lines(file: string): AsyncIterable<string> {
  const stream = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  return createInterface({ input: stream, crlfDelay: Infinity });
}

interface ScanRun {
  result: ScanResult;
  unlabelled: string[];
  warnings: string[];
}

class Progress {
  private last = 0;
  private shown = false;
  constructor(private readonly enabled: boolean) {}
  tick(n: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    this.shown = true;
    process.stderr.write(`\rportcullis scan: ${n} objects…`);
  }
  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}

/**
 * Workloads in a namespace whose labels are not known yet are held back (up to this many) until
 * the input ends, so a Namespace document that comes later still supplies them; past the cap, and
 * at the end, they are evaluated with the labels known by then.
 */
const MAX_DEFERRED = 10_000;
/** Workloads evaluated concurrently with --verify-images. */
const IMAGE_CONCURRENCY = 8;

interface Pending {
  object: Record<string, unknown>;
  ref: NonNullable<ReturnType<typeof resourceRef>>;
  uid: string;
}

async function scanInputs(
  files: readonly string[],
  scan: ScanPolicies,
  flagLabels: ReadonlyMap<string, Record<string, string>>,
  context: EvaluationContext,
  keepPasses: boolean,
): Promise<ScanRun> {
  const acc = new ScanAccumulator(keepPasses);
  // labels from Namespace documents; flags are merged over them when a workload is evaluated
  const nsLabels = new Map<string, Record<string, string>>();
  const everyNamespace = flagLabels.get(ALL_NAMESPACES);
  /** Labels seen for this namespace itself (a Namespace document or NS:… flag). */
  const known = (ns: string) => nsLabels.has(ns) || flagLabels.has(ns);
  const unlabelled = new Set<string>();
  const warnings: string[] = [];
  const deferred: Pending[] = [];
  const progress = new Progress(process.stderr.isTTY === true);
  let n = 0;

  // With an image verifier, evaluations wait on registries: keep a few in flight (the verifier
  // coalesces and caches per digest). Without one, evaluation is CPU-bound and runs one at a time.
  const concurrency = context.images === undefined ? 1 : IMAGE_CONCURRENCY;
  const inFlight = new Set<Promise<void>>();
  const schedule = async (p: Pending): Promise<void> => {
    const task: Promise<void> = evaluate(p).finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };

  const evaluate = async (p: Pending): Promise<void> => {
    let labels: Record<string, string> | undefined;
    const ns = p.ref.namespace;
    if (ns !== undefined) {
      if (!known(ns) && everyNamespace === undefined) unlabelled.add(ns);
      labels = { ...(nsLabels.get(ns) ?? {}), ...(everyNamespace ?? {}), ...(flagLabels.get(ns) ?? {}) };
    }
    // the shared reader (runtime/cli/input.ts) turns the manifest into the CREATE admission would see
    const [doc] = toInputs([{ source: p.uid, doc: p.object }], labels === undefined ? {} : { namespaceLabels: labels });
    acc.add(await evaluateWorkload(p.object, { ...doc.input, dryRun: true }, p.ref, scan, context));
  };

  for (const file of files) {
    let index = 0;
    for await (const text of documentTexts(lines(file))) {
      let doc: unknown;
      try {
        doc = parseDocument(text);
      } catch (err) {
        warnings.push(`${file === '-' ? 'stdin' : file}: document ${index + 1} skipped: ${(err as Error).message.split('\n')[0]}`);
        index += 1;
        continue;
      }
      index += 1;
      for (const object of objectsOf(doc)) {
        acc.object();
        n += 1;
        progress.tick(n);
        const ref = resourceRef(object);
        if (ref === undefined) {
          acc.ignored();
          continue;
        }
        if (ref.kind === 'Namespace' && ref.apiVersion === 'v1') {
          const meta = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
          const labels: Record<string, string> = {};
          if (isRecord(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) if (typeof v === 'string') labels[k] = v;
          nsLabels.set(ref.name, labels);
          acc.ignored();
          continue;
        }
        const target = workloadTarget(ref);
        if (target === undefined || !isRecord(object)) {
          acc.ignored();
          continue;
        }
        // every workload kind is namespaced; a manifest without a namespace lands in "default", as with kubectl
        if (ref.namespace === undefined) ref.namespace = 'default';
        if (ref.namespace !== undefined && scan.excludedNamespaces.includes(ref.namespace)) {
          acc.excluded();
          continue;
        }
        const pending: Pending = { object, ref, uid: ref.uid ?? `scan-${n}` };
        if (ref.namespace !== undefined && !known(ref.namespace) && deferred.length < MAX_DEFERRED) deferred.push(pending);
        else await schedule(pending);
      }
    }
  }
  for (const p of deferred.splice(0)) await schedule(p);
  await Promise.all(inFlight);
  progress.done();
  return { result: acc.finish(scan.bundleModes), unlabelled: [...unlabelled].sort(), warnings };
}

async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('scan', USAGE, argv, {
    bundle: { type: 'string', default: 'dist/portcullis-bundle.json' },
    output: { type: 'string', short: 'o', default: 'table' },
    all: { type: 'boolean', default: false },
    details: { type: 'boolean', default: false },
    'bundle-modes': { type: 'boolean', default: false },
    'namespace-labels': { type: 'string', multiple: true, default: [] },
    now: { type: 'string' },
    'verify-images': { type: 'boolean', default: false },
    'docker-config': { type: 'string' },
    'max-report-bytes': { type: 'string' },
    'report-prefix': { type: 'string', default: 'portcullis-scan' },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  let files: string[];
  let flagLabels: Map<string, Record<string, string>>;
  const format = values.output as Format;
  const now = values.now === undefined ? new Date() : new Date(values.now);
  const maxBytes = values['max-report-bytes'] === undefined ? DEFAULT_MAX_REPORT_BYTES : Number(values['max-report-bytes']);
  let loaded: LoadedBundle;
  try {
    if (positionals.length === 0) throw new UsageError('nothing to scan: give files, directories or - for stdin');
    if (!FORMATS.includes(format)) throw new UsageError(`unknown --output "${values.output}" (table, json, yaml, policyreport or html)`);
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now "${values.now}" is not a date`);
    if (!Number.isInteger(maxBytes) || maxBytes < 4096) throw new UsageError('--max-report-bytes must be an integer >= 4096');
    files = positionals.flatMap(inputFiles);
    flagLabels = parseNamespaceLabels(values['namespace-labels']);
    loaded = loadBundle(readFileSync(values.bundle));
  } catch (err) {
    if (err instanceof UsageError || err instanceof BundleError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      return usageFailure('scan', (err as Error).message);
    }
    throw err;
  }

  const scan = prepareScanPolicies(loaded.bundle, { asEnforce: !values['bundle-modes'], verifyImages: values['verify-images'] });
  let images: (ImageVerifier & { close(): void }) | undefined;
  if (values['verify-images']) {
    const { createImageVerifier } = await import('../images');
    images = createImageVerifier({
      trustedRoots: loaded.bundle.trust.trustedRoots,
      ...(values['docker-config'] !== undefined ? { dockerConfigPath: values['docker-config'] } : {}),
    });
  }
  const context: EvaluationContext = { now, ...(images !== undefined ? { images } : {}) };
  let outcome: ScanRun;
  try {
    outcome = await scanInputs(files, scan, flagLabels, context, values.all);
  } finally {
    images?.close();
  }
  for (const w of outcome.warnings) process.stderr.write(`portcullis scan: ${w}\n`);

  const renderOptions: RenderOptions = {
    asEnforce: !values['bundle-modes'],
    details: values.details,
    unlabelledNamespaces: outcome.unlabelled,
    inventory: buildInventory(loaded.bundle, { now, windowMs: DEFAULT_WINDOW_MS, onlyExpiring: false }),
  };
  const { result } = outcome;
  if (format === 'html') process.stdout.write(renderScanHtml(scanJson(result, scan, renderOptions)));
  else if (format === 'table') process.stdout.write(renderScanTable(result, scan, renderOptions));
  else if (format === 'json') process.stdout.write(`${JSON.stringify(scanJson(result, scan, renderOptions), null, 2)}\n`);
  else if (format === 'yaml') process.stdout.write(stringify(scanJson(result, scan, renderOptions), { lineWidth: 0, aliasDuplicateObjects: false }));
  else {
    const reports = buildPolicyReports(result, scan.bundleModes, {
      now,
      includePasses: values.all,
      maxBytes,
      namePrefix: values['report-prefix'],
      bundleHash: loaded.hash,
    });
    process.stdout.write(reports.map((r) => stringify(r, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n'));
    if (process.stderr.isTTY === true) {
      process.stderr.write(`portcullis scan: ${reports.length} report(s); ${result.counts.blocked} of ${result.counts.workloads} workloads would be blocked\n`);
    }
  }
  if (outcome.warnings.length > 0) {
    process.stderr.write(`portcullis scan: ${outcome.warnings.length} document(s) could not be read; the results above are incomplete\n`);
    return 2;
  }
  return result.counts.blocked > 0 ? 1 : 0;
}

export const command: Command = {
  summary: 'report which existing workloads the bundle would block (table, json, yaml, PolicyReports)',
  run,
};
