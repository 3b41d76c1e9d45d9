/**
 * The Grafana dashboard of the observability pack (constructs/observability.ts), as a plain JSON
 * model (schemaVersion 39) for Grafana's dashboard sidecar: decisions by policy and result, reviews
 * and latency by webhook path (with each path's timeout), the signature verdict cache hit rate, the
 * bundle hash each pod serves, exemptions in use (results and applications) and their expiry, and
 * ready replicas.
 *
 * Every query selects `namespace="$namespace"` (a constant variable: the runtime's namespace, the
 * PodMonitor's target label) on the data source picked in `$datasource`. Panels are built from a
 * list, so a new metric (e.g. results by exemption) is one more entry in `panelSpecs`.
 */
import type { Bundle } from '../runtime/bundle';
import { latencyThresholdSeconds } from './observability-alerts';

export interface DashboardInput {
  readonly bundle: Pick<Bundle, 'metadata' | 'webhooks'>;
  readonly namespace: string;
  readonly deploymentName: string;
}

export interface DashboardTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  format?: 'table' | 'time_series';
}

interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'table' | 'stat';
  unit: string;
  width: number;
  height: number;
  targets: Array<Omit<DashboardTarget, 'refId'>>;
  stacked?: boolean;
  thresholds?: Array<{ color: string; value: number | null }>;
}

const NS = 'namespace="$namespace"';
const RATE = '[$__rate_interval]';

function panelSpecs(input: DashboardInput): PanelSpec[] {
  const timeouts = input.bundle.webhooks.map((w) => `${w.path} ${w.timeoutSeconds}s (alert above ${latencyThresholdSeconds(w.timeoutSeconds)}s)`).join(', ');
  return [
    {
      title: 'Decisions by policy and result',
      description: 'Rule results per second (portcullis_policy_results_total): pass, fail (Enforce), warn (Audit), skip, exempt, error. Dry runs are not counted.',
      type: 'timeseries',
      unit: 'ops',
      width: 12,
      height: 8,
      stacked: true,
      targets: [{ expr: `sum by (policy, result) (rate(portcullis_policy_results_total{${NS}}${RATE}))`, legendFormat: '{{policy}} {{result}}' }],
    },
    {
      title: 'AdmissionReviews by webhook and decision',
      description: 'Answered reviews per second (portcullis_admission_requests_total). error_denied: an evaluation error under failurePolicy Fail (not a policy verdict).',
      type: 'timeseries',
      unit: 'reqps',
      width: 12,
      height: 8,
      stacked: true,
      targets: [{ expr: `sum by (webhook, decision) (rate(portcullis_admission_requests_total{${NS}}${RATE}))`, legendFormat: '{{webhook}} {{decision}}' }],
    },
    {
      title: 'Latency by webhook (p50, p99)',
      description: `Time from request received to response ready (portcullis_admission_duration_seconds). Webhook timeouts: ${timeouts}.`,
      type: 'timeseries',
      unit: 's',
      width: 12,
      height: 8,
      targets: [
        {
          expr: `histogram_quantile(0.99, sum by (webhook, le) (rate(portcullis_admission_duration_seconds_bucket{${NS}}${RATE})))`,
          legendFormat: 'p99 {{webhook}}',
        },
        {
          expr: `histogram_quantile(0.5, sum by (webhook, le) (rate(portcullis_admission_duration_seconds_bucket{${NS}}${RATE})))`,
          legendFormat: 'p50 {{webhook}}',
        },
      ],
    },
    {
      title: 'Signature verdict cache hit rate',
      description: 'Share of image signature verdicts served from cache (portcullis_signature_cache_hits_total / lookups). Misses need a registry round trip.',
      type: 'timeseries',
      unit: 'percentunit',
      width: 12,
      height: 8,
      targets: [
        {
          expr:
            `sum(rate(portcullis_signature_cache_hits_total{${NS}}${RATE}))\n/ (sum(rate(portcullis_signature_cache_hits_total{${NS}}${RATE})) ` +
            `+ sum(rate(portcullis_signature_cache_misses_total{${NS}}${RATE})))`,
          legendFormat: 'hit rate',
        },
      ],
    },
    {
      title: 'Bundle hash per pod',
      description: `The bundle each pod serves (portcullis_bundle_info). Every pod should serve the hash on the pod template of deploy/${input.deploymentName}.`,
      type: 'table',
      unit: 'none',
      width: 12,
      height: 8,
      targets: [{ expr: `max by (pod, name, hash) (portcullis_bundle_info{${NS}})`, instant: true, format: 'table' }],
    },
    {
      title: 'Bundle reloads',
      description: 'Bundle (re)loads per pod and result (portcullis_bundle_reloads_total). One refusal per old pod during a rollout is expected; repeated refusals are not.',
      type: 'timeseries',
      unit: 'short',
      width: 12,
      height: 8,
      targets: [{ expr: `sum by (pod, result) (increase(portcullis_bundle_reloads_total{${NS}}${RATE}))`, legendFormat: '{{pod}} {{result}}' }],
    },
    {
      title: 'Exempted results by policy and rule',
      description: 'Findings relieved by an exemption over the selected range (portcullis_policy_results_total{result="exempt"}).',
      type: 'table',
      unit: 'short',
      width: 12,
      height: 8,
      targets: [
        {
          expr: `sum by (policy, rule) (increase(portcullis_policy_results_total{${NS}, result="exempt"}[$__range])) > 0`,
          instant: true,
          format: 'table',
        },
      ],
    },
    {
      title: 'Exemptions applied',
      description: 'Reviews in which each exemption relieved a finding, over the selected range (portcullis_exemptions_applied_total; dry runs not counted).',
      type: 'table',
      unit: 'short',
      width: 12,
      height: 8,
      targets: [
        {
          expr: `sum by (policy, exemption) (increase(portcullis_exemptions_applied_total{${NS}}[$__range])) > 0`,
          instant: true,
          format: 'table',
        },
      ],
    },
    {
      title: 'Exemptions: days until expiry',
      description: 'Each exemption with an expiry in the served bundle (portcullis_exemption_expiry_timestamp_seconds). Alerts fire below 14 days.',
      type: 'table',
      unit: 'd',
      width: 12,
      height: 8,
      thresholds: [
        { color: 'red', value: null },
        { color: 'orange', value: 14 },
        { color: 'green', value: 30 },
      ],
      targets: [
        {
          expr: `(min by (policy, exemption, owner) (portcullis_exemption_expiry_timestamp_seconds{${NS}}) - time()) / 86400`,
          instant: true,
          format: 'table',
        },
      ],
    },
    {
      title: 'Ready replicas',
      description: `Available replicas of deploy/${input.deploymentName} (kube-state-metrics). At 0 the API server applies each webhook's failurePolicy.`,
      type: 'stat',
      unit: 'none',
      width: 12,
      height: 6,
      thresholds: [
        { color: 'red', value: null },
        { color: 'green', value: 1 },
      ],
      targets: [{ expr: `sum(kube_deployment_status_replicas_available{${NS}, deployment="${input.deploymentName}"})`, instant: true }],
    },
    {
      title: 'Invalid requests by reason',
      description: 'Requests refused with 4xx before evaluation (portcullis_invalid_requests_total), e.g. not_ready, unknown_path.',
      type: 'timeseries',
      unit: 'reqps',
      width: 12,
      height: 6,
      targets: [{ expr: `sum by (reason) (rate(portcullis_invalid_requests_total{${NS}}${RATE}))`, legendFormat: '{{reason}}' }],
    },
  ];
}

/** Every PromQL query of the dashboard (panels and variables), for tests and tools. */
export function dashboardQueries(dashboard: { panels: Array<{ targets?: DashboardTarget[] }> }): string[] {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** The Grafana dashboard model. Stable: no ids, versions or timestamps. */
export function grafanaDashboard(input: DashboardInput): {
  uid: string;
  title: string;
  panels: Array<Record<string, unknown> & { targets: DashboardTarget[] }>;
} & Record<string, unknown> {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = panelSpecs(input).map((spec, i) => {
    if (x + spec.width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { h: spec.height, w: spec.width, x, y };
    x += spec.width;
    rowHeight = Math.max(rowHeight, spec.height);
    const targets: DashboardTarget[] = spec.targets.map((t, j) => ({ ...t, refId: String.fromCharCode(65 + j) }));
    const defaults: Record<string, unknown> = { unit: spec.unit };
    if (spec.thresholds !== undefined) defaults.thresholds = { mode: 'absolute', steps: spec.thresholds };
    if (spec.stacked === true) defaults.custom = { stacking: { mode: 'normal' } };
    return {
      id: i + 1,
      type: spec.type,
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      gridPos,
      fieldConfig: { defaults, overrides: [] },
      options: spec.type === 'timeseries' ? { legend: { displayMode: 'table', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } } : {},
      targets: targets.map((t) => ({ ...t, datasource: DATASOURCE })),
    };
  });
  const name = input.bundle.metadata.name;
  return {
    uid: `portcullis-${name}`.slice(0, 40),
    title: `Portcullis admission (${name})`,
    description: `Admission decisions, latency, bundle and exemptions of the Portcullis runtime in ${input.namespace}.`,
    tags: ['portcullis', 'admission', 'kubernetes'],
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    timezone: '',
    panels,
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        { name: 'namespace', label: 'Namespace', type: 'constant', query: input.namespace, hide: 2 },
      ],
    },
    annotations: { list: [] },
    links: [],
  };
}
