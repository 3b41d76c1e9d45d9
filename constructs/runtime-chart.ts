/**
 * The admission runtime: Deployment (HPA-owned replica count, min 3; topology spread across nodes
 * and zones; system-cluster-critical; explicit requests/limits; and a pod that passes the
 * restricted profile it enforces), Service, PodDisruptionBudget and HorizontalPodAutoscaler. The
 * bundle hash is a pod-template annotation, so a bundle change rolls the pods, and it reaches the
 * runtime through the downward API so the runtime can verify the bundle it loads.
 */
import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { APP_LABELS, BUNDLE_HASH_ANNOTATION, RUNTIME_SELECTOR } from './labels';
import { applySyncWave, SyncWave } from './sync-waves';

/** Options of the runtime Deployment. */
export interface RuntimeOptions {
  /**
   * The runtime image (built from the repository's Dockerfile; ENTRYPOINT `portcullis`, args `serve …`).
   * @default 'ghcr.io/example/portcullis:0.1.0'
   */
  readonly image?: string;
  /**
   * Fewest replicas the HPA keeps (the Deployment leaves `replicas` to the HPA, so Argo CD sees no drift).
   * @default 3
   */
  readonly minReplicas?: number;
  /** @default 6 */
  readonly maxReplicas?: number;
  /** @default 'system-cluster-critical' */
  readonly priorityClassName?: string;
  /** @default requests 200m / 128Mi, limits 1 CPU / 256Mi */
  readonly resources?: {
    readonly cpuRequestMillis?: number;
    readonly cpuLimitMillis?: number;
    readonly memoryRequestMebibytes?: number;
    readonly memoryLimitMebibytes?: number;
  };
}

export const RUNTIME_DEFAULTS = {
  image: 'ghcr.io/example/portcullis:0.1.0',
  minReplicas: 3,
  maxReplicas: 6,
  priorityClassName: 'system-cluster-critical',
} as const;

export const RUNTIME_PORT = 8443;
export const BUNDLE_CONFIG_MAP = 'portcullis-bundle';
export const BUNDLE_MOUNT = '/etc/portcullis/bundle';
export const TLS_MOUNT = '/etc/portcullis/tls';

export interface RuntimeChartProps {
  readonly namespace: string;
  readonly serviceName: string;
  readonly serviceAccountName: string;
  readonly tlsSecretName: string;
  readonly bundleHash: string;
  readonly options: RuntimeOptions;
}

/**
 * V8 heap bounds for the runtime's memory limit, passed as NODE_OPTIONS. Without them Node sizes
 * its heap from the host's memory, not the container's: the young generation alone grows to
 * 3 x 16 MiB semi-spaces under load, and old-space collection waits for a limit far above what the
 * cgroup allows (an OOM kill instead of a GC). 8 MiB semi-spaces keep scavenges cheap at thousands
 * of reviews/s (measured by bench/server.bench.ts, which runs the server with these flags: RSS
 * ~100 MiB under load instead of ~131 MiB, no throughput loss); the old space gets 5/8 of the
 * limit, leaving the rest for the young generation, code, TLS and socket buffers (256 MiB → 160).
 */
export function heapFlagsFor(memoryLimitMebibytes: number): string {
  const oldSpace = Math.max(64, Math.floor((memoryLimitMebibytes * 5) / 8));
  return `--max-old-space-size=${oldSpace} --max-semi-space-size=8`;
}

/**
 * `portcullis serve --body-budget-mib` for the runtime's memory limit: how many MiB of large
 * request bodies the server holds at once (runtime/server/body-budget.ts; later ones wait, unread).
 * A held body costs several times its size at its peak (the received bytes, the decoded string, the
 * parsed objects) on top of the ~100 MiB the runtime uses under load: 3/32 of the limit keeps a
 * burst of the API server's largest UPDATEs inside it (256 MiB → 24 MiB; bench/server.bench.ts
 * measures the burst: peak RSS 154–184 MiB). Never below 8 MiB, so one ~6 MiB UPDATE (object and
 * oldObject at the API server's 3 MiB object limit) always fits.
 */
export function bodyBudgetFor(memoryLimitMebibytes: number): number {
  return Math.max(8, Math.floor((memoryLimitMebibytes * 3) / 32));
}

export class RuntimeChart extends Chart {
  constructor(scope: Construct, id: string, props: RuntimeChartProps) {
    super(scope, id, { namespace: props.namespace, labels: { ...APP_LABELS } });
    const o = props.options;
    const r = o.resources ?? {};
    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp-volume', 'tmp', { sizeLimit: Size.mebibytes(64) });
    const bundle = kplus.Volume.fromConfigMap(
      this,
      'bundle-volume',
      kplus.ConfigMap.fromConfigMapName(this, 'bundle-config-map', BUNDLE_CONFIG_MAP),
      { name: 'bundle' },
    );
    const tls = kplus.Volume.fromSecret(this, 'tls-volume', kplus.Secret.fromSecretName(this, 'tls-secret', props.tlsSecretName), {
      name: 'tls',
    });
    const deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name: 'portcullis', labels: { ...RUNTIME_SELECTOR } },
      select: false,
      serviceAccount: kplus.ServiceAccount.fromServiceAccountName(this, 'service-account', props.serviceAccountName),
      automountServiceAccountToken: false,
      terminationGracePeriod: undefined,
      podMetadata: {
        labels: { ...APP_LABELS, ...RUNTIME_SELECTOR },
        annotations: { [BUNDLE_HASH_ANNOTATION]: props.bundleHash },
      },
      securityContext: { ensureNonRoot: true, user: 65532, group: 65532, fsGroup: 65532 },
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      volumes: [tmp, bundle, tls],
      containers: [
        {
          name: 'webhook',
          image: o.image ?? RUNTIME_DEFAULTS.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          // The image's ENTRYPOINT is `portcullis`; the command is ours to state.
          args: [
            'serve',
            '--bundle',
            `${BUNDLE_MOUNT}/bundle.json`,
            '--tls-cert',
            `${TLS_MOUNT}/tls.crt`,
            '--tls-key',
            `${TLS_MOUNT}/tls.key`,
            '--port',
            String(RUNTIME_PORT),
            '--body-budget-mib',
            String(bodyBudgetFor(r.memoryLimitMebibytes ?? 256)),
          ],
          ports: [{ name: 'https', number: RUNTIME_PORT, protocol: kplus.Protocol.TCP }],
          envVariables: {
            PORTCULLIS_BUNDLE_HASH: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_ANNOTATION, { key: BUNDLE_HASH_ANNOTATION }),
            NODE_ENV: kplus.EnvValue.fromValue('production'),
            NODE_OPTIONS: kplus.EnvValue.fromValue(heapFlagsFor(r.memoryLimitMebibytes ?? 256)),
          },
          resources: {
            cpu: { request: cpu(r.cpuRequestMillis ?? 200), limit: cpu(r.cpuLimitMillis ?? 1000) },
            memory: { request: Size.mebibytes(r.memoryRequestMebibytes ?? 128), limit: Size.mebibytes(r.memoryLimitMebibytes ?? 256) },
          },
          securityContext: {
            ensureNonRoot: true,
            user: 65532,
            group: 65532,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
          readiness: kplus.Probe.fromHttpGet('/readyz', {
            port: RUNTIME_PORT,
            scheme: kplus.ConnectionScheme.HTTPS,
            periodSeconds: Duration.seconds(5),
            failureThreshold: 2,
          }),
          liveness: kplus.Probe.fromHttpGet('/healthz', {
            port: RUNTIME_PORT,
            scheme: kplus.ConnectionScheme.HTTPS,
            initialDelaySeconds: Duration.seconds(5),
            periodSeconds: Duration.seconds(10),
            failureThreshold: 3,
          }),
          volumeMounts: [
            { path: '/tmp', volume: tmp },
            { path: BUNDLE_MOUNT, volume: bundle, readOnly: true },
            { path: TLS_MOUNT, volume: tls, readOnly: true },
          ],
        },
      ],
    });
    deployment.select(kplus.LabelSelector.of({ labels: { ...RUNTIME_SELECTOR } }));
    const podLabels = { matchLabels: { ...RUNTIME_SELECTOR } };
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.remove('/spec/replicas'),
      // cdk8s-plus's own selector label is not used (select: false); keep the template labels ours.
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
      JsonPatch.add('/spec/template/spec/priorityClassName', o.priorityClassName ?? RUNTIME_DEFAULTS.priorityClassName),
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: podLabels, matchLabelKeys: ['pod-template-hash'] },
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: podLabels, matchLabelKeys: ['pod-template-hash'] },
      ]),
    );

    new ApiObject(this, 'service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: props.serviceName, labels: { ...RUNTIME_SELECTOR } },
      spec: {
        type: 'ClusterIP',
        selector: { ...RUNTIME_SELECTOR },
        ports: [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }],
      },
    });
    new ApiObject(this, 'pdb', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'portcullis', labels: { ...RUNTIME_SELECTOR } },
      spec: { maxUnavailable: 1, selector: podLabels, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
    new ApiObject(this, 'hpa', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'portcullis', labels: { ...RUNTIME_SELECTOR } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'portcullis' },
        minReplicas: o.minReplicas ?? RUNTIME_DEFAULTS.minReplicas,
        maxReplicas: o.maxReplicas ?? RUNTIME_DEFAULTS.maxReplicas,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    });
    applySyncWave(this, SyncWave.RUNTIME);
  }
}

/**
 * CPU in the form the API server stores (`1`, not `1000m`), so Argo CD compares equal values as
 * equal.
 */
function cpu(millis: number): kplus.Cpu {
  return millis % 1000 === 0 ? kplus.Cpu.units(millis / 1000) : kplus.Cpu.millis(millis);
}

/** The bundle ConfigMap (its own file in dist/, so a policy change diffs there and in the hash). */
export class BundleChart extends Chart {
  constructor(scope: Construct, id: string, props: { namespace: string; bundleJson: string; bundleHash: string }) {
    super(scope, id, { namespace: props.namespace, labels: { ...APP_LABELS } });
    new ApiObject(this, 'bundle', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: BUNDLE_CONFIG_MAP, annotations: { [BUNDLE_HASH_ANNOTATION]: props.bundleHash } },
      data: { 'bundle.json': props.bundleJson },
    });
    applySyncWave(this, SyncWave.RUNTIME);
  }
}
