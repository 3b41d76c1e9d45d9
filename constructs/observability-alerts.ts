/**
 * The alerts of the observability pack (constructs/observability.ts): prometheus-operator
 * PrometheusRule groups built from the bundle, so every threshold an alert needs is the bundle's
 * own — each webhook path's timeoutSeconds and failurePolicy, the rules that verify signatures, the
 * bundle hash on the Deployment's pod template. Runbook texts say what the API server does under
 * each failurePolicy and how to break glass, as the README's "When the webhook is down" does.
 *
 * Metric names are the runtime's (runtime/server/metrics.ts) with the target labels a
 * prometheus-operator PodMonitor adds (`namespace`, `pod`), plus one kube-state-metrics series.
 */
import type { Bundle, Policy, Webhook } from '../runtime/bundle';
import { LATENCY_BUCKETS_SECONDS } from '../runtime/server/metrics';
import { BUNDLE_HASH_ANNOTATION } from './labels';
import { MUTATING_CONFIGURATION, VALIDATING_CONFIGURATION } from './webhooks-chart';

/** Series the pack reads from kube-state-metrics rather than from the runtime's /metrics. */
export const KUBE_STATE_METRICS: readonly string[] = ['kube_deployment_status_replicas_available'];

/** Where the README explains the webhook's failure modes and break-glass. */
export const README_SECTION = 'README "When the webhook is down"';

/** Alert when an exemption expires within this many days. */
export const EXEMPTION_EXPIRY_ALERT_DAYS = 14;

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export interface AlertInput {
  readonly bundle: Pick<Bundle, 'metadata' | 'policies' | 'webhooks'>;
  readonly bundleHash: string;
  /** Namespace of the runtime (the PodMonitor's `namespace` target label). */
  readonly namespace: string;
  /** Name of the runtime Deployment. */
  readonly deploymentName: string;
}

// ---- PromQL helpers ---------------------------------------------------------------------------

type Matcher = readonly [label: string, op: '=' | '!=' | '=~' | '!~', value: string];

/** A PromQL string literal (Go escaping: backslash and double quote). */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `metric{l="v",…}`. */
export function selector(metric: string, matchers: readonly Matcher[]): string {
  return `${metric}{${matchers.map(([l, op, v]) => `${l}${op}${quote(v)}`).join(', ')}}`;
}

/** An RE2 pattern matching exactly `value`. */
function literalPattern(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The `le` value of a bucket bound as the runtime writes it (`5`, `2.5`) or as Prometheus 3
 * normalizes it on ingestion (`5.0`).
 */
export function bucketPattern(bound: number): string {
  return `${literalPattern(String(bound))}(\\.0)?`;
}

/**
 * The latency an alert compares against for a webhook timeout: the largest histogram bucket bound
 * at most half the timeout (beyond it, one slow registry call reaches the API server's deadline).
 */
export function latencyThresholdSeconds(timeoutSeconds: number): number {
  const fits = LATENCY_BUCKETS_SECONDS.filter((b) => b <= timeoutSeconds / 2);
  return fits.length === 0 ? LATENCY_BUCKETS_SECONDS[0] : fits[fits.length - 1];
}

// ---- runbook texts ----------------------------------------------------------------------------

/** What the API server does with a webhook's requests when Portcullis cannot answer in time. */
export function failureConsequence(w: Pick<Webhook, 'type' | 'failurePolicy'>): string {
  if (w.failurePolicy === 'Fail') return 'matching requests are denied';
  return w.type === 'mutating' ? 'matching requests are admitted without its mutations' : 'matching requests are admitted unchecked';
}

/** One line per webhook path: failurePolicy, timeout, policies, and what happens if it cannot answer. */
export function webhookImpact(webhooks: readonly Webhook[]): string {
  return webhooks
    .map((w) => `${w.path} (failurePolicy ${w.failurePolicy}, timeout ${w.timeoutSeconds}s; ${w.policies.join(', ')}): ${failureConsequence(w)}`)
    .join('; ');
}

/** The README's break-glass, in one paragraph (names from the synthesized configurations). */
export function breakGlass(namespace: string): string {
  return (
    `Break-glass if the gate blocks deploys (${README_SECTION}): first disable auto-sync/self-heal on the Argo CD Application, ` +
    `then fail open (patch every webhook's failurePolicy to Ignore in mutatingwebhookconfiguration/${MUTATING_CONFIGURATION} ` +
    `and validatingwebhookconfiguration/${VALIDATING_CONFIGURATION}) or remove the gate ` +
    `(kubectl delete validatingwebhookconfiguration ${VALIDATING_CONFIGURATION}; kubectl delete mutatingwebhookconfiguration ${MUTATING_CONFIGURATION}). ` +
    `kube-system, kube-public, kube-node-lease and ${namespace} are never sent to the webhook, so the control plane and Portcullis itself can recover. ` +
    'Then fix the cause in Git (or flip the policy to Audit / failurePolicy Ignore) and re-enable sync: Argo CD restores the webhook configurations after the runtime is ready.'
  );
}

function runbook(what: string, webhooks: readonly Webhook[], namespace: string): string {
  const impact = webhooks.length === 0 ? '' : ` If Portcullis cannot answer: ${webhookImpact(webhooks)}.`;
  return `${what}${impact} ${breakGlass(namespace)}`;
}

// ---- the rules --------------------------------------------------------------------------------

function signaturePolicies(policies: readonly Policy[]): Array<{ policy: Policy; rules: string[]; all: boolean }> {
  return policies
    .map((policy) => {
      // Attestation checks read the same registries through the same verifier: their errors too.
      const rules = policy.rules.filter((r) => r.type === 'verifyImages' || r.type === 'verifyAttestations').map((r) => r.name);
      return { policy, rules, all: rules.length === policy.rules.length };
    })
    .filter((p) => p.rules.length > 0);
}

/** The PrometheusRule groups for a bundle. */
export function alertGroups(input: AlertInput): RuleGroup[] {
  const { bundle, namespace } = input;
  const ns: Matcher = ['namespace', '=', namespace];
  const webhooks = bundle.webhooks;
  const failClosed = webhooks.filter((w) => w.failurePolicy === 'Fail');
  const requests = (extra: Matcher[] = []): string => selector('portcullis_admission_requests_total', [ns, ...extra]);

  const webhookRules: AlertRule[] = [
    {
      alert: 'PortcullisNoReadyReplicas',
      expr: `${selector('kube_deployment_status_replicas_available', [ns, ['deployment', '=', input.deploymentName]])} == 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `No ready Portcullis pod in ${namespace}: the admission webhook cannot answer.`,
        description:
          `Deployment ${namespace}/${input.deploymentName} has no available replica (kube-state-metrics kube_deployment_status_replicas_available), ` +
          'so the API server cannot reach the webhook and applies each webhook\'s failurePolicy.',
        runbook: runbook(
          `kubectl -n ${namespace} get pods,events and kubectl -n ${namespace} describe deploy/${input.deploymentName}: image pull, scheduling, ` +
            `a bundle the pods refuse (/readyz answers no-valid-bundle; the pod's ${BUNDLE_HASH_ANNOTATION} must match the ConfigMap), a missing TLS Secret. ` +
            'Needs kube-state-metrics (the standard source of kube_deployment_status_replicas_available).',
          webhooks,
          namespace,
        ),
      },
    },
  ];
  if (failClosed.length > 0) {
    const byWebhook = 'sum by (namespace, webhook)';
    webhookRules.push({
      alert: 'PortcullisEvaluationErrorsDenying',
      expr:
        `${byWebhook} (rate(${requests([['decision', '=', 'error_denied']])}[5m]))\n` +
        `  / ${byWebhook} (rate(${requests()}[5m]))\n  > 0.01`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Portcullis denies requests on {{ $labels.webhook }} because evaluation fails (not a policy verdict).',
        description:
          '{{ $value | humanizePercentage }} of the AdmissionReviews on {{ $labels.webhook }} in {{ $labels.namespace }} were denied with ' +
          '"evaluation error (not a policy verdict)" (status 500): an evaluation error under failurePolicy Fail denies the request.',
        runbook: runbook(
          `The admission log lines (kubectl -n ${namespace} logs -l app.kubernetes.io/component=webhook) name the failing policy/rule in their errors field. ` +
            'A registry that cannot be reached is an error, not a verdict (see PortcullisSignatureVerificationErrors).',
          failClosed,
          namespace,
        ),
      },
    });
  }
  for (const w of webhooks) {
    const threshold = latencyThresholdSeconds(w.timeoutSeconds);
    const count = selector('portcullis_admission_duration_seconds_count', [ns, ['webhook', '=', w.path]]);
    const fast = selector('portcullis_admission_duration_seconds_bucket', [ns, ['webhook', '=', w.path], ['le', '=~', bucketPattern(threshold)]]);
    const sum = 'sum by (namespace, webhook)';
    webhookRules.push({
      alert: 'PortcullisLatencyNearTimeout',
      expr: `(\n  ${sum} (rate(${count}[5m]))\n  - ${sum} (rate(${fast}[5m]))\n)\n  / ${sum} (rate(${count}[5m]))\n  > 0.01`,
      for: '10m',
      // One rule per webhook path (its own threshold); the label keeps them distinct rules.
      labels: { severity: 'warning', webhook: w.path },
      annotations: {
        summary: `Portcullis reviews on ${w.path} come close to the webhook's ${w.timeoutSeconds}s timeout.`,
        description:
          `{{ $value | humanizePercentage }} of the AdmissionReviews on ${w.path} took longer than ${threshold}s ` +
          `(the webhook's timeoutSeconds is ${w.timeoutSeconds}, failurePolicy ${w.failurePolicy}); at the timeout the API server stops waiting: ${failureConsequence(w)}.`,
        runbook: runbook(
          `Policies on ${w.path}: ${w.policies.join(', ')}. Usual causes: a slow registry (signature checks; compare portcullis_signature_cache_misses_total), ` +
            `CPU throttling or the HPA at maxReplicas (kubectl -n ${namespace} get hpa), very large objects.`,
          [w],
          namespace,
        ),
      },
    });
  }

  const bundleRules: AlertRule[] = [
    {
      alert: 'PortcullisBundleRefused',
      expr: `sum by (namespace, pod) (increase(${selector('portcullis_bundle_reloads_total', [ns, ['result', '=', 'refused']])}[5m])) > 0`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Portcullis pod {{ $labels.pod }} keeps refusing its rule bundle.',
        description:
          'Pod {{ $labels.pod }} in {{ $labels.namespace }} refused its bundle again and again for 10 minutes (invalid, or content whose hash differs from its ' +
          `${BUNDLE_HASH_ANNOTATION} annotation): it keeps serving its last good bundle, or without one stays alive but not ready. ` +
          '(A pod of the previous ReplicaSet refuses the new ConfigMap once during every rollout; that alone does not fire.)',
        runbook: runbook(
          `Read the pod's "bundle refused" log lines (reason), and compare the ${BUNDLE_HASH_ANNOTATION} annotations of ConfigMap ${namespace}/portcullis-bundle and of the pod. ` +
            'Fix the bundle in Git (npm run synth) rather than the ConfigMap.',
          webhooks,
          namespace,
        ),
      },
    },
    {
      alert: 'PortcullisBundleHashMismatch',
      expr: `max by (namespace, pod, hash) (${selector('portcullis_bundle_info', [ns, ['hash', '!=', input.bundleHash]])}) == 1`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Portcullis pod {{ $labels.pod }} serves a bundle other than the Deployment\'s.',
        description:
          `Pod {{ $labels.pod }} serves bundle {{ $labels.hash }}, but Deployment ${namespace}/${input.deploymentName} names ${input.bundleHash} ` +
          `(pod template annotation ${BUNDLE_HASH_ANNOTATION}): it enforces other policies than dist/ says, usually because a rollout is stuck.`,
        runbook: runbook(
          `kubectl -n ${namespace} rollout status deploy/${input.deploymentName}; kubectl -n ${namespace} get rs,pods -o wide. ` +
            'New pods that are not ready keep old ones serving (maxUnavailable 0): see PortcullisBundleRefused and PortcullisNoReadyReplicas.',
          webhooks,
          namespace,
        ),
      },
    },
  ];

  const signatureRules: AlertRule[] = [];
  for (const { policy, rules, all } of signaturePolicies(bundle.policies)) {
    const base: Matcher[] = [ns, ['policy', '=', policy.name]];
    if (!all) base.push(['rule', '=~', rules.map(literalPattern).join('|')]);
    const results = (extra: Matcher[] = []): string => selector('portcullis_policy_results_total', [...base, ...extra]);
    const served = webhooks.filter((w) => w.policies.includes(policy.name));
    signatureRules.push({
      alert: 'PortcullisSignatureVerificationErrors',
      expr:
        `sum by (namespace, policy) (rate(${results([['result', '=', 'error']])}[10m]))\n` +
        `  / sum by (namespace, policy) (rate(${results()}[10m]))\n  > 0.05`,
      for: '10m',
      // One rule per policy (its own failurePolicy text); the label keeps them distinct rules.
      labels: { severity: 'warning', policy: policy.name },
      annotations: {
        summary: `Image signature/attestation checks of policy ${policy.name} fail with errors (registry unreachable?).`,
        description:
          `{{ $value | humanizePercentage }} of the signature/attestation checks of policy ${policy.name} ended in an error (registry unreachable, timeout, ` +
          `5xx or bad credentials), which is not a verdict: failurePolicy ${policy.failurePolicy} decides, so ${failureConsequence({ type: 'validating', failurePolicy: policy.failurePolicy })}.`,
        runbook: runbook(
          `Check that the pods reach the registries the policy names and that the registry credentials (PORTCULLIS_DOCKER_CONFIG) are valid; ` +
            'the admission log lines carry the error. Verdicts are cached per digest, errors never are.',
          served,
          namespace,
        ),
      },
    });
  }

  const expiry = `min by (namespace, policy, exemption, owner) (${selector('portcullis_exemption_expiry_timestamp_seconds', [ns])}) - time()`;
  const exemptionWhat =
    'After its expiry an exemption no longer applies: the workloads it covers are denied (Enforce) or warned (Audit), and synth refuses dist/ until it is renewed or removed. ' +
    'Renew it through review in policies/ (a later expiresAt; portcullis diff reports it as looser) or remove it once the workloads comply.';
  const exemptionRules: AlertRule[] = [
    {
      alert: 'PortcullisExemptionExpiringSoon',
      expr: `(${expiry}) < ${EXEMPTION_EXPIRY_ALERT_DAYS} * 86400 > 0`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Exemption {{ $labels.exemption }} of policy {{ $labels.policy }} expires within ' + `${EXEMPTION_EXPIRY_ALERT_DAYS} days.`,
        description: 'Exemption {{ $labels.exemption }} of policy {{ $labels.policy }} (owner {{ $labels.owner }}) expires in {{ $value | humanizeDuration }}.',
        runbook: runbook(exemptionWhat, [], namespace),
      },
    },
    {
      alert: 'PortcullisExemptionExpired',
      expr: `(${expiry}) <= 0`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Exemption {{ $labels.exemption }} of policy {{ $labels.policy }} has expired and no longer applies.',
        description: 'Exemption {{ $labels.exemption }} of policy {{ $labels.policy }} (owner {{ $labels.owner }}) is still in the served bundle but has expired.',
        runbook: runbook(exemptionWhat, [], namespace),
      },
    },
  ];

  return [
    { name: 'portcullis.webhook', rules: webhookRules },
    { name: 'portcullis.bundle', rules: bundleRules },
    ...(signatureRules.length === 0 ? [] : [{ name: 'portcullis.signatures', rules: signatureRules }]),
    { name: 'portcullis.exemptions', rules: exemptionRules },
  ];
}
