/**
 * promtool unit tests (`promtool test rules`) for the pack's alerts, built from a real scrape of
 * the runtime (scrape.ts): every input series has a metric name and label set the server wrote,
 * plus the target labels a prometheus-operator PodMonitor adds. A healthy hour (steady traffic, a
 * few errors, one rollout) fires nothing; each firing case changes one thing and expects exactly
 * its alert, with the labels and rendered annotations an on-call engineer would receive.
 */
import type { AlertRule, RuleGroup } from '../../constructs/observability-alerts';
import type { Sample, Scrape } from './scrape';

/** The reference set's 10 s validating path: pod-security in the namespaces its expiring exemptions keep on the webhook. */
const VALIDATE_10S = '/validate/fail-10s-a937c895';

/** What a PodMonitor adds to every scraped series of the runtime's pods. */
export const TARGET_LABELS = {
  namespace: 'portcullis-system',
  pod: 'portcullis-5d8f7c9b6-x2v4q',
  job: 'portcullis-system/portcullis',
  instance: '10.244.1.17:8443',
  container: 'webhook',
  endpoint: 'https',
} as const;

/** A pod of the previous ReplicaSet. */
export const OLD_POD = { ...TARGET_LABELS, pod: 'portcullis-6c4b8f7d5-k9m2p', instance: '10.244.2.9:8443' };
export const OTHER_HASH = `sha256:${'0'.repeat(64)}`;

/** kube-state-metrics' series for the runtime Deployment (its ServiceMonitor honours labels). */
export const KSM_REPLICAS = {
  name: 'kube_deployment_status_replicas_available',
  labels: { namespace: 'portcullis-system', deployment: 'portcullis', job: 'kube-state-metrics', instance: '10.244.0.5:8080', container: 'kube-state-metrics', endpoint: 'http', service: 'kube-state-metrics' },
};

export const EVAL_TIME_MINUTES = 45;
const STEPS = 60;

export interface InputSeries {
  name: string;
  labels: Record<string, string>;
  values: string;
}

/** `name{l="v",…}` as promtool reads it. */
export function seriesText(s: Pick<InputSeries, 'name' | 'labels'>): string {
  const labels = Object.entries(s.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return `${s.name}{${labels}}`;
}

function family(scrape: Scrape, name: string): { family: string; type: string } {
  for (const suffix of ['_bucket', '_count', '_sum', '']) {
    if (!name.endsWith(suffix)) continue;
    const f = name.slice(0, name.length - suffix.length);
    const type = scrape.types.get(f);
    if (type !== undefined && (suffix === '' || type === 'histogram')) return { family: f, type };
  }
  throw new Error(`no # TYPE for ${name}`);
}

/** Healthy values of one scraped sample over the test hour (promtool expanding notation). */
function healthyValues(scrape: Scrape, s: Sample): string {
  const { family: f, type } = family(scrape, s.name);
  if (type === 'histogram') {
    if (s.name.endsWith('_sum')) return f === 'portcullis_admission_duration_seconds' ? `0+0.25x${STEPS}` : `0+60x${STEPS}`;
    // Admission takes 3–5 ms: nothing in the buckets below 5 ms.
    if (f === 'portcullis_admission_duration_seconds' && s.name.endsWith('_bucket') && s.labels.le !== '+Inf' && Number(s.labels.le) < 0.005) return `0x${STEPS}`;
    return `0+60x${STEPS}`;
  }
  if (type === 'counter') {
    if (f === 'portcullis_bundle_reloads_total') return s.labels.result === 'refused' ? `0x10 1x${STEPS - 11}` : `1x${STEPS}`;
    // A few errors, well under the thresholds.
    if (f === 'portcullis_admission_requests_total' && s.labels.decision === 'error_denied') return `0+0.3x${STEPS}`;
    if (f === 'portcullis_policy_results_total' && s.labels.result === 'error') return `0+1x${STEPS}`;
    return `0+60x${STEPS}`;
  }
  return `${promtoolNumber(s.value)}x${STEPS}`;
}

/**
 * A gauge's scraped value in promtool's series notation, which has no exponent form and no NaN
 * (prom-client writes NaN for event-loop lag percentiles before the first measurement): those
 * become 0, which no rule reads.
 */
export function promtoolNumber(v: number): string {
  if (!Number.isFinite(v)) return '0';
  const plain = String(v);
  if (!plain.includes('e')) return plain;
  return v.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** The healthy hour: every scraped series on the current pod, the old pod during a rollout, kube-state-metrics. */
export function healthySeries(scrape: Scrape): InputSeries[] {
  const out: InputSeries[] = scrape.samples.map((s) => ({ name: s.name, labels: { ...s.labels, ...TARGET_LABELS }, values: healthyValues(scrape, s) }));
  const info = scrape.samples.find((s) => s.name === 'portcullis_bundle_info');
  if (info === undefined) throw new Error('the scrape has no portcullis_bundle_info');
  // A rollout: the old pod served the previous bundle for 5 minutes, then went away.
  out.push({ name: info.name, labels: { ...info.labels, ...OLD_POD, hash: OTHER_HASH }, values: `1x5 _x${STEPS - 6}` });
  out.push({ ...KSM_REPLICAS, values: `3x${STEPS}` });
  return out;
}

export interface ExpectedAlert {
  /** The alert's labels from its expression (the rule's own labels are added). */
  labels: Record<string, string>;
  /** How `{{ $value | humanize… }}` renders for this alert. */
  value?: string;
}

export interface FiringCase {
  name: string;
  alertname: string;
  /** Changes the healthy series into the failure. */
  change(series: InputSeries[]): InputSeries[];
  expected: ExpectedAlert[];
}

const where =
  (name: string, labels: Record<string, string>) =>
  (s: InputSeries): boolean =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);

function setValues(series: InputSeries[], match: (s: InputSeries) => boolean, values: (s: InputSeries) => string): InputSeries[] {
  let changed = 0;
  const out = series.map((s) => {
    if (!match(s)) return s;
    changed += 1;
    return { ...s, values: values(s) };
  });
  if (changed === 0) throw new Error('a firing case changed no series: the scrape lacks what it needs');
  return out;
}

const ns = TARGET_LABELS.namespace;
const bucketBelow = (le: string, bound: number): boolean => le !== '+Inf' && Number(le) < bound;

export function firingCases(): FiringCase[] {
  return [
    {
      name: 'no ready replica',
      alertname: 'PortcullisNoReadyReplicas',
      change: (series) => setValues(series, where(KSM_REPLICAS.name, {}), () => `3x20 0x${STEPS - 21}`),
      expected: [{ labels: KSM_REPLICAS.labels }],
    },
    {
      name: 'evaluation errors deny a third of the reviews on /validate/fail-15s',
      alertname: 'PortcullisEvaluationErrorsDenying',
      change: (series) => setValues(series, where('portcullis_admission_requests_total', { webhook: '/validate/fail-15s', decision: 'error_denied' }), () => `0+60x${STEPS}`),
      expected: [{ labels: { namespace: ns, webhook: '/validate/fail-15s' }, value: '33.33%' }],
    },
    {
      name: 'reviews take 2.5-5 s: near the 5 s timeout of /mutate/ignore-5s, not the 10 s one of /validate/fail-10s',
      alertname: 'PortcullisLatencyNearTimeout',
      change: (series) =>
        setValues(
          series,
          (s) => s.name === 'portcullis_admission_duration_seconds_bucket' && ['/mutate/ignore-5s', VALIDATE_10S].includes(s.labels.webhook),
          (s) => (bucketBelow(s.labels.le, 5) ? `0x${STEPS}` : `0+60x${STEPS}`),
        ),
      expected: [{ labels: { namespace: ns, webhook: '/mutate/ignore-5s' }, value: '100%' }],
    },
    {
      name: 'half the reviews on /validate/fail-10s take 5-10 s',
      alertname: 'PortcullisLatencyNearTimeout',
      change: (series) =>
        setValues(
          series,
          (s) => s.name === 'portcullis_admission_duration_seconds_bucket' && s.labels.webhook === VALIDATE_10S,
          (s) => (bucketBelow(s.labels.le, 0.005) ? `0x${STEPS}` : bucketBelow(s.labels.le, 10) ? `0+30x${STEPS}` : `0+60x${STEPS}`),
        ),
      expected: [{ labels: { namespace: ns, webhook: VALIDATE_10S }, value: '50%' }],
    },
    {
      name: 'the pod refuses its bundle every minute',
      alertname: 'PortcullisBundleRefused',
      change: (series) => setValues(series, where('portcullis_bundle_reloads_total', { result: 'refused' }), () => `0+1x${STEPS}`),
      expected: [{ labels: { namespace: ns, pod: TARGET_LABELS.pod } }],
    },
    {
      name: "a pod of a stuck rollout keeps serving another bundle than the Deployment's",
      alertname: 'PortcullisBundleHashMismatch',
      change: (series) => setValues(series, where('portcullis_bundle_info', { pod: OLD_POD.pod }), () => `1x${STEPS}`),
      expected: [{ labels: { namespace: ns, pod: OLD_POD.pod, hash: OTHER_HASH } }],
    },
    {
      name: 'a third of the signature checks end in a registry error',
      alertname: 'PortcullisSignatureVerificationErrors',
      change: (series) => setValues(series, where('portcullis_policy_results_total', { policy: 'image-signatures', result: 'error' }), () => `0+60x${STEPS}`),
      expected: [{ labels: { namespace: ns, policy: 'image-signatures' }, value: '33.33%' }],
    },
    {
      name: 'the network-tools exemption expires in 10 days',
      alertname: 'PortcullisExemptionExpiringSoon',
      change: (series) =>
        setValues(series, where('portcullis_exemption_expiry_timestamp_seconds', { exemption: 'network-tools' }), () => `${EVAL_TIME_MINUTES * 60 + 10 * 86400}x${STEPS}`),
      expected: [{ labels: { namespace: ns, policy: 'pod-security', exemption: 'network-tools', owner: 'team-platform-network' }, value: '10d 0h 0m 0s' }],
    },
    {
      name: 'the log-collector exemption has expired',
      alertname: 'PortcullisExemptionExpired',
      change: (series) => setValues(series, where('portcullis_exemption_expiry_timestamp_seconds', { exemption: 'log-collector-host-logs' }), () => `0x${STEPS}`),
      expected: [{ labels: { namespace: ns, policy: 'pod-security', exemption: 'log-collector-host-logs', owner: 'team-observability' } }],
    },
  ];
}

/** Render an alert annotation as Prometheus would, for the templates the pack uses. */
export function renderAnnotation(template: string, labels: Record<string, string>, value: string | undefined): string {
  return template
    .replace(/\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}/g, (_, l: string) => {
      if (labels[l] === undefined) throw new Error(`annotation uses label ${l}, which the alert does not have`);
      return labels[l];
    })
    .replace(/\{\{ \$value \| (humanizePercentage|humanizeDuration) \}\}/g, () => {
      if (value === undefined) throw new Error(`annotation renders $value, but the case gives none: ${template}`);
      return value;
    });
}

function rulesOf(groups: RuleGroup[], alertname: string): AlertRule[] {
  return groups.flatMap((g) => g.rules).filter((r) => r.alert === alertname);
}

/** The promtool `exp_alerts` of a case: labels plus the rule's labels, annotations rendered. */
function expAlerts(groups: RuleGroup[], alertname: string, expected: ExpectedAlert[]): Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }> {
  return expected.map((e) => {
    const rules = rulesOf(groups, alertname).filter((r) => Object.entries(r.labels).every(([k, v]) => k === 'severity' || e.labels[k] === undefined || e.labels[k] === v));
    if (rules.length !== 1) throw new Error(`${rules.length} rules of ${alertname} fit ${JSON.stringify(e.labels)}`);
    const [rule] = rules;
    const labels = { ...e.labels, ...rule.labels };
    const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, t]) => [k, renderAnnotation(t, labels, e.value)]));
    return { exp_labels: labels, exp_annotations: annotations };
  });
}

export interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: Array<{
    name: string;
    interval: string;
    input_series: Array<{ series: string; values: string }>;
    alert_rule_test: Array<{ eval_time: string; alertname: string; exp_alerts: ReturnType<typeof expAlerts> }>;
  }>;
}

/** The promtool test file: the healthy hour, then one group per firing case; every alert checked in each. */
export function promtoolTests(groups: RuleGroup[], scrape: Scrape, ruleFile: string): PromtoolTestFile {
  const alertnames = [...new Set(groups.flatMap((g) => g.rules.map((r) => r.alert)))].sort();
  const healthy = healthySeries(scrape);
  const group = (name: string, series: InputSeries[], firing?: FiringCase) => ({
    name,
    interval: '1m',
    input_series: series.map((s) => ({ series: seriesText(s), values: s.values })),
    alert_rule_test: alertnames.map((alertname) => ({
      eval_time: `${EVAL_TIME_MINUTES}m`,
      alertname,
      exp_alerts: firing !== undefined && firing.alertname === alertname ? expAlerts(groups, alertname, firing.expected) : [],
    })),
  });
  return {
    rule_files: [ruleFile],
    evaluation_interval: '1m',
    tests: [group('healthy: steady traffic, a few errors, one rollout', healthy), ...firingCases().map((c) => group(c.name, c.change(healthy), c))],
  };
}
