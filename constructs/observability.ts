/**
 * The observability pack: alerts and a dashboard for the runtime, synthesized next to it
 * (`35-observability.k8s.yaml`, sync wave RUNTIME: in place before the webhook configurations send
 * any request, removed after them on prune):
 *
 * - a prometheus-operator PodMonitor that scrapes `/metrics` over HTTPS (the serving certificate's
 *   CA; adds the `namespace` and `pod` target labels the alerts and dashboard group by);
 * - a PrometheusRule (observability-alerts.ts) whose thresholds come from the bundle;
 * - a ConfigMap with the Grafana dashboard (observability-dashboard.ts) for Grafana's sidecar
 *   (label `grafana_dashboard: "1"`).
 *
 * Off unless PortcullisApp's `observability` prop is set (the reference set turns it on): the
 * monitoring.coreos.com CRDs must exist, or applying dist/ fails. Output is deterministic (the
 * dashboard JSON is canonical: sorted keys).
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { prettyCanonicalJson, type Bundle } from '../runtime/bundle';
import { APP_LABELS, RUNTIME_SELECTOR } from './labels';
import { alertGroups } from './observability-alerts';
import { grafanaDashboard } from './observability-dashboard';
import { applySyncWave, SyncWave } from './sync-waves';
import { CERT_MANAGER_SECRET, type TlsOptions } from './tls';

export interface ObservabilityOptions {
  /**
   * Labels added to the PrometheusRule and PodMonitor, for the Prometheus' `ruleSelector` and
   * `podMonitorSelector` (kube-prometheus-stack selects `release: <its release name>` by default).
   * @default none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Synthesize the PodMonitor. Turn it off when the runtime's pods are already scraped (the alerts
   * still need the `namespace` and `pod` target labels).
   * @default true
   */
  readonly podMonitor?: boolean;
  /**
   * Namespace of the dashboard ConfigMap: where Grafana's dashboard sidecar looks (by default the
   * sidecar watches only Grafana's own namespace, unless it searches all of them).
   * @default the runtime's namespace
   */
  readonly dashboardNamespace?: string;
}

export const OBSERVABILITY_CHART_ID = '35-observability';
export const DASHBOARD_CONFIG_MAP = 'portcullis-dashboard';
export const DASHBOARD_FILE = 'portcullis.json';
/** The label Grafana's dashboard sidecar selects ConfigMaps by. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: '1' } as const;
/** Holds the CA that signed a provided serving certificate, for the PodMonitor's TLS check. */
export const METRICS_CA_CONFIG_MAP = 'portcullis-metrics-ca';

export interface ObservabilityChartProps {
  readonly namespace: string;
  readonly serviceName: string;
  readonly deploymentName: string;
  readonly bundle: Pick<Bundle, 'metadata' | 'policies' | 'webhooks'>;
  readonly bundleHash: string;
  readonly tls: TlsOptions;
  readonly options: ObservabilityOptions;
}

export class ObservabilityChart extends Chart {
  constructor(scope: Construct, id: string, props: ObservabilityChartProps) {
    super(scope, id, { namespace: props.namespace, labels: { ...APP_LABELS } });
    const o = props.options;
    const labels = { ...(o.labels ?? {}) };
    const input = { bundle: props.bundle, bundleHash: props.bundleHash, namespace: props.namespace, deploymentName: props.deploymentName };

    if (o.podMonitor !== false) {
      const serverName = `${props.serviceName}.${props.namespace}.svc`;
      const ca =
        props.tls.mode === 'cert-manager'
          ? { secret: { name: CERT_MANAGER_SECRET, key: 'ca.crt' } }
          : { configMap: { name: METRICS_CA_CONFIG_MAP, key: 'ca.crt' } };
      if (props.tls.mode === 'provided') {
        new ApiObject(this, 'metrics-ca', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: METRICS_CA_CONFIG_MAP },
          data: { 'ca.crt': props.tls.caBundlePem },
        });
      }
      new ApiObject(this, 'pod-monitor', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        metadata: { name: 'portcullis', labels },
        spec: {
          selector: { matchLabels: { ...RUNTIME_SELECTOR } },
          podMetricsEndpoints: [{ port: 'https', path: '/metrics', scheme: 'https', tlsConfig: { ca, serverName } }],
        },
      });
    }
    new ApiObject(this, 'prometheus-rule', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'portcullis', labels },
      spec: { groups: alertGroups(input) },
    });
    new ApiObject(this, 'dashboard', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: DASHBOARD_CONFIG_MAP,
        namespace: o.dashboardNamespace ?? props.namespace,
        labels: { ...GRAFANA_DASHBOARD_LABEL },
      },
      data: { [DASHBOARD_FILE]: prettyCanonicalJson(grafanaDashboard(input)) },
    });
    applySyncWave(this, SyncWave.RUNTIME);
  }
}
