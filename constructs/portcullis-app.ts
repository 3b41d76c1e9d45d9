/**
 * The Portcullis app: a cdk8s App that collects every Policy and Exemption declared under it,
 * validates them (errors name the construct path, the source file and the fix), compiles the rule
 * bundle (autogen expanded, webhooks grouped), refuses an invalid or oversized bundle, and
 * synthesizes dist/ split by concern:
 *
 *   00-namespace.k8s.yaml  Namespace, ServiceAccount, ResourceQuota          (sync wave 0)
 *   10-tls.k8s.yaml        cert-manager Issuers and Certificates             (sync wave 1)
 *   20-bundle.k8s.yaml     the bundle ConfigMap                              (sync wave 2)
 *   30-runtime.k8s.yaml    Deployment, Service, PodDisruptionBudget, HPA     (sync wave 2)
 *   35-observability.k8s.yaml  PodMonitor, PrometheusRule, dashboard ConfigMap (sync wave 2; opt-in)
 *   40-webhooks.k8s.yaml   Mutating/ValidatingWebhookConfiguration           (sync wave 3)
 *   portcullis-bundle.json the bundle itself (pretty canonical JSON)
 *   portcullis-bundle.schema.json  its JSON Schema (from runtime/bundle/schema.ts)
 *
 * Output is deterministic: no timestamps, random names, keys or certificates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type AppProps } from 'cdk8s';
import type { IConstruct } from 'constructs';
import {
  BUNDLE_API_VERSION,
  BUNDLE_FILE,
  BUNDLE_KIND,
  BundleError,
  BundleSchema,
  MAX_BUNDLE_BYTES,
  PUBLISH_DIR,
  STAGING_DIR,
  prettyCanonicalJson,
  validateBundle,
  type Bundle,
} from '../runtime/bundle';
import { neverEvaluatedNamespaces, setAppContext, type AppContext } from './app-context';
import { Exemption } from './exemption';
import { NamespaceChart } from './namespace-chart';
import { OBSERVABILITY_CHART_ID, ObservabilityChart, type ObservabilityOptions } from './observability';
import { Policy } from './policy';
import { BundleChart, RuntimeChart, RUNTIME_DEFAULTS, type RuntimeOptions } from './runtime-chart';
import { listFiles, publishDirectory } from './publish';
import { formatLocation, type SourceLocation } from './source-location';
import { synthNow } from './synth-clock';
import { CertManagerTlsChart, tlsProblems, tlsSecretName, type TlsOptions } from './tls';
import { buildWebhooks } from './webhook-groups';
import { NATIVE_CHART_ID, NativePoliciesChart, planNative, webhookRouted, withNativeRules, type NativePlan } from './native-chart';
import type { EnforcementTarget } from '../runtime/native';
import { WebhooksChart } from './webhooks-chart';

export { BUNDLE_FILE } from '../runtime/bundle';
/** The bundle's JSON Schema, written next to it for editors and other tooling. */
export const BUNDLE_SCHEMA_FILE = 'portcullis-bundle.schema.json';

export interface PortcullisAppProps extends AppProps {
  /**
   * The bundle's name (a DNS label).
   * @default 'portcullis'
   */
  readonly name?: string;
  /**
   * Namespace of the runtime (always excluded from admission).
   * @default 'portcullis-system'
   */
  readonly namespace?: string;
  /** The runtime Deployment. */
  readonly runtime?: RuntimeOptions;
  /**
   * Webhook TLS.
   * @default { mode: 'cert-manager' }
   */
  readonly tls?: TlsOptions;
  /**
   * Where validations run unless a policy says otherwise: `webhook`, `native` or `hybrid`
   * (constructs/native-chart.ts; native needs Kubernetes 1.30+).
   * @default 'webhook'
   */
  readonly enforcement?: EnforcementTarget;
  /** Where developers ask for an exemption; shown in denial messages of every policy. */
  readonly exemptionHelp?: string;
  /** Sigstore trusted roots (trusted_root.json content) by name, for air-gapped keyless checks. */
  readonly trustedRoots?: Readonly<Record<string, unknown>>;
  /**
   * The clock for exemption expiry.
   * @default PORTCULLIS_SYNTH_NOW if set, else the current time
   */
  readonly now?: Date;
  /**
   * The observability pack (constructs/observability.ts): PodMonitor, PrometheusRule and Grafana
   * dashboard. Needs prometheus-operator's CRDs in the cluster.
   * @default off
   */
  readonly observability?: ObservabilityOptions | false;
}

/** Synth refused: every problem, each with its construct path, source location and fix. */
export class SynthValidationError extends Error {
  constructor(readonly problems: ReadonlyArray<{ path: string; location: string; message: string }>) {
    super(
      `Portcullis synth failed with ${problems.length} problem(s):\n${problems
        .map((p) => `  [${p.path}]${p.location === '' ? '' : ` (${p.location})`} ${p.message}`)
        .join('\n')}`,
    );
    this.name = 'SynthValidationError';
  }
}

const SERVICE_NAME = 'portcullis';
/** Exemptions expiring within this many days draw a synth warning. */
export const EXPIRY_WARNING_DAYS = 30;
const SERVICE_ACCOUNT = 'portcullis';
/** The runtime Deployment's name (runtime-chart.ts). */
const DEPLOYMENT_NAME = 'portcullis';

export class PortcullisApp extends App {
  readonly bundleName: string;
  readonly namespace: string;
  private readonly props: PortcullisAppProps;
  private readonly ctx: AppContext;
  private built: { bundle: Bundle; hash: string; json: string } | undefined;

  constructor(props: PortcullisAppProps = {}) {
    super(props);
    this.props = props;
    this.bundleName = props.name ?? 'portcullis';
    this.namespace = props.namespace ?? 'portcullis-system';
    const ctx: AppContext = {
      runtimeNamespace: this.namespace,
      now: () => props.now ?? synthNow(),
      trustedRootNames: Object.keys(props.trustedRoots ?? {}).sort(),
    };
    this.ctx = ctx;
    setAppContext(this, ctx);
    this.node.addValidation({ validate: () => this.appProblems() });
  }

  /** Policies in declaration order. */
  get policies(): Policy[] {
    return Policy.allIn(this);
  }

  /**
   * Validate, compile the bundle and add the charts (once). Throws SynthValidationError listing every
   * problem. `synth()` calls it; tests may call it to inspect the bundle.
   */
  build(): { bundle: Bundle; hash: string; json: string } {
    if (this.built !== undefined) return this.built;
    const problems = collectProblems(this);
    if (problems.length > 0) throw new SynthValidationError(problems);
    for (const w of this.warnings()) process.stderr.write(`portcullis: warning: ${w}\n`);
    const bundle = this.compileBundle();
    const refused = this.nativePlan?.problems ?? [];
    if (refused.length > 0) throw new SynthValidationError(refused.map((r) => ({ path: `${this.bundleName}/${r.policy}`, location: '', message: r.message })));
    const json = prettyCanonicalJson(bundle);
    if (Buffer.byteLength(json) > MAX_BUNDLE_BYTES) {
      throw new SynthValidationError([{ path: this.bundleName, location: '', message: oversizeMessage(bundle, Buffer.byteLength(json)) }]);
    }
    let hash: string;
    try {
      hash = validateBundle(bundle).hash;
    } catch (err) {
      if (err instanceof BundleError) throw new SynthValidationError([{ path: this.bundleName, location: '', message: bundleErrorMessage(bundle, err) }]);
      throw err;
    }
    const tls = this.props.tls ?? { mode: 'cert-manager' };
    new NamespaceChart(this, '00-namespace', {
      namespace: this.namespace,
      serviceAccountName: SERVICE_ACCOUNT,
      priorityClassName: this.props.runtime?.priorityClassName ?? RUNTIME_DEFAULTS.priorityClassName,
    });
    if (tls.mode === 'cert-manager') new CertManagerTlsChart(this, '10-tls', { namespace: this.namespace, serviceName: SERVICE_NAME, tls });
    new BundleChart(this, '20-bundle', { namespace: this.namespace, bundleJson: json, bundleHash: hash });
    new RuntimeChart(this, '30-runtime', {
      namespace: this.namespace,
      serviceName: SERVICE_NAME,
      serviceAccountName: SERVICE_ACCOUNT,
      tlsSecretName: tlsSecretName(tls),
      bundleHash: hash,
      options: this.props.runtime ?? {},
    });
    const observability = this.props.observability;
    if (observability !== undefined && observability !== false) {
      new ObservabilityChart(this, OBSERVABILITY_CHART_ID, {
        namespace: this.namespace,
        serviceName: SERVICE_NAME,
        deploymentName: DEPLOYMENT_NAME,
        bundle,
        bundleHash: hash,
        tls,
        options: observability,
      });
    }
    if (this.nativePlan !== undefined && this.nativePlan.native.length > 0) new NativePoliciesChart(this, NATIVE_CHART_ID, { compiled: this.nativePlan.native });
    new WebhooksChart(this, '40-webhooks', { webhooks: bundle.webhooks, policies: bundle.policies, namespace: this.namespace, serviceName: SERVICE_NAME, tls });
    this.built = { bundle, hash, json };
    return this.built;
  }

  /** Things that synthesize but need attention soon: exemptions expiring within 30 days. */
  warnings(): string[] {
    const now = this.ctx.now().getTime();
    const out: string[] = [];
    for (const e of Exemption.allIn(this)) {
      const t = e.expiresAt?.getTime();
      if (t === undefined || Number.isNaN(t) || t <= now) continue;
      const days = Math.ceil((t - now) / 86_400_000);
      if (days <= EXPIRY_WARNING_DAYS) {
        out.push(`exemption ${e.node.path} (owner ${e.owner}) expires in ${days} day(s); synth will fail after that. Renew it through review or plan its removal.`);
      }
    }
    return out;
  }

  /** Validate, write the manifests, then the bundle file (cdk8s empties the output folder first). */
  override synth(): void {
    const { json } = this.build();
    super.synth();
    fs.writeFileSync(path.join(this.outdir, BUNDLE_FILE), json);
    fs.writeFileSync(path.join(this.outdir, BUNDLE_SCHEMA_FILE), prettyCanonicalJson(BundleSchema));
  }

  override synthYaml(): string {
    this.build();
    return super.synthYaml();
  }

  /** Where each policy's validations run (constructs/native-chart.ts); set by compileBundle. */
  private nativePlan: NativePlan | undefined;

  private planNative(policies: readonly Bundle['policies'][number][], never: readonly string[]): NativePlan {
    const byName = new Map(this.policies.map((p) => [p.policyName, p.enforcement]));
    return planNative(policies, (p) => byName.get(p.name) ?? this.props.enforcement ?? 'webhook', never);
  }

  private compileBundle(): Bundle {
    const exemptions = Exemption.allIn(this);
    const policies = this.policies.map((p) =>
      p.toBundlePolicy(
        exemptions.filter((e) => e.policies.includes(p)).map((e) => e.toBundleExemption()),
        this.props.exemptionHelp,
      ),
    );
    const never = neverEvaluatedNamespaces({ runtimeNamespace: this.namespace, now: () => new Date(0), trustedRootNames: [] });
    this.nativePlan = this.planNative(policies, never);
    const placed = withNativeRules(policies, this.nativePlan);
    return {
      apiVersion: BUNDLE_API_VERSION,
      kind: BUNDLE_KIND,
      metadata: { name: this.bundleName, runtimeNamespace: this.namespace },
      policies: placed,
      webhooks: buildWebhooks(webhookRouted(placed), never),
      trust: { trustedRoots: { ...(this.props.trustedRoots ?? {}) } },
    };
  }

  private appProblems(): string[] {
    const out: string[] = [];
    const dns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
    if (!dns.test(this.bundleName) || this.bundleName.length > 63) out.push(`name "${this.bundleName}" is not a DNS label. Fix: use e.g. "portcullis".`);
    if (!dns.test(this.namespace) || this.namespace.length > 63) out.push(`namespace "${this.namespace}" is not a valid namespace name.`);
    if (['kube-system', 'kube-public', 'kube-node-lease', 'default'].includes(this.namespace)) {
      out.push(`namespace "${this.namespace}" is shared; the runtime's namespace is excluded from admission. Fix: use a dedicated namespace such as portcullis-system.`);
    }
    out.push(...tlsProblems(this.props.tls ?? { mode: 'cert-manager' }));
    const policies = this.policies;
    if (policies.length === 0) out.push('declares no Policy. Fix: add at least one Policy under the app.');
    const seen = new Map<string, Policy>();
    for (const p of policies) {
      const prev = seen.get(p.policyName);
      if (prev !== undefined) out.push(`policy name "${p.policyName}" is used by both ${prev.node.path} and ${p.node.path}. Fix: give each policy a distinct name.`);
      seen.set(p.policyName, p);
    }
    const exemptionNames = new Map<string, string>();
    for (const e of Exemption.allIn(this)) {
      for (const p of e.policies) {
        const key = `${p.policyName}/${e.exemptionName}`;
        const prev = exemptionNames.get(key);
        if (prev !== undefined) out.push(`exemption "${e.exemptionName}" is declared twice for policy ${p.policyName} (${prev} and ${e.node.path}). Fix: rename one.`);
        exemptionNames.set(key, e.node.path);
      }
    }
    const ms = this.props.runtime;
    if (ms?.minReplicas !== undefined && ms.maxReplicas !== undefined && ms.minReplicas > ms.maxReplicas) {
      out.push(`runtime.minReplicas ${ms.minReplicas} exceeds maxReplicas ${ms.maxReplicas}. Fix: raise maxReplicas.`);
    }
    return out;
  }
}

function locationOf(c: IConstruct): SourceLocation | undefined {
  const loc = (c as { location?: unknown }).location;
  return loc !== null && typeof loc === 'object' && 'file' in loc ? (loc as SourceLocation) : undefined;
}

/** Every construct's validation problems, with path and source location. */
export function collectProblems(app: App): Array<{ path: string; location: string; message: string }> {
  const out: Array<{ path: string; location: string; message: string }> = [];
  for (const c of app.node.findAll()) {
    for (const message of c.node.validate()) {
      out.push({ path: c.node.path === '' ? (c as PortcullisApp).bundleName ?? 'app' : c.node.path, location: formatLocation(locationOf(c)), message });
    }
  }
  return out;
}

function bundleErrorMessage(bundle: Bundle, err: BundleError): string {
  const m = /^\/policies\/(\d+)/.exec(err.path);
  const policy = m === null ? undefined : bundle.policies[Number(m[1])];
  return `the compiled bundle is invalid at ${err.path}${policy === undefined ? '' : ` (policy ${policy.name}, ${policy.source ?? ''})`}: ${err.reason}. Fix: correct that setting.`;
}

function oversizeMessage(bundle: Bundle, size: number): string {
  const biggest = bundle.policies
    .map((p) => ({ name: p.name, size: Buffer.byteLength(JSON.stringify(p)) }))
    .sort((a, b) => b.size - a.size)
    .slice(0, 3)
    .map((p) => `${p.name} ${Math.round(p.size / 1024)} KiB`)
    .join(', ');
  return `the bundle is ${size} bytes, over the ${MAX_BUNDLE_BYTES}-byte budget of its ConfigMap (1 MiB limit). Largest policies: ${biggest}. Fix: split the policy set across apps, drop unused trusted roots, or move large trust material out of the bundle.`;
}

export interface SynthesizeOptions {
  /**
   * The folder Argo CD syncs, replaced only after a successful synth into the staging folder.
   * @default 'dist'
   */
  readonly publishDir?: string;
}

/**
 * Synthesize for the command line (`cdk8s synth` runs the app): a refused synth prints its problems
 * (construct path, file, fix) without a stack trace and exits non-zero, leaving `dist/` as it was.
 * When the app writes into the staging folder (`cdk8s.yaml` `output: .portcullis/synth`, which the
 * cdk8s CLI empties first), a successful synth then replaces `dist/` with the staged files. Any other
 * output folder (`cdk8s synth --output DIR`, tests) is written in place and `dist/` is not touched.
 */
export function synthesizeOrExit(app: PortcullisApp, options: SynthesizeOptions = {}): void {
  const outdir = path.resolve(app.outdir);
  const publishDir = path.resolve(options.publishDir ?? PUBLISH_DIR);
  if (outdir === publishDir) {
    process.stderr.write(
      `portcullis: warning: synthesizing straight into ${path.relative(process.cwd(), publishDir) || '.'}/, which the cdk8s CLI deletes before the app runs, even when synth then fails. ` +
        `Fix: set \`output: ${STAGING_DIR}\` in cdk8s.yaml; the app publishes to ${PUBLISH_DIR}/ only when synth succeeds.\n`,
    );
  }
  try {
    app.synth();
  } catch (err) {
    if (!(err instanceof SynthValidationError)) throw err;
    process.stderr.write(`${err.message}\n${outdir === publishDir ? '' : `${path.relative(process.cwd(), publishDir) || '.'}/ was left unchanged.\n`}`);
    process.exit(1);
  }
  if (outdir === path.resolve(STAGING_DIR)) {
    publishDirectory(outdir, publishDir);
    const files = listFiles(publishDir);
    process.stdout.write(`portcullis: published ${files.length} files to ${path.relative(process.cwd(), publishDir)}/: ${files.join(', ')}\n`);
  }
}
