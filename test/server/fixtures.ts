/**
 * Server test fixtures: a typed rule bundle (validated by validateBundle, so no test runs against a
 * bundle the runtime would refuse) and AdmissionReviews shaped exactly like the API server's.
 */
import { randomUUID } from 'node:crypto';
import { POD_TARGET, type Bundle, type Policy, type WebhookRule } from '../../runtime/bundle';
import { podPolicy as policy, POD_AND_CONTROLLER_RULES, validBundle, webhook, withAutogen } from '../helpers/bundles';

export { POD_AND_CONTROLLER_RULES };
const POD_ONLY_RULES: WebhookRule[] = [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }];

/** An address nothing listens on (port 1 needs root to bind): a registry that is down. */
export const UNREACHABLE_REGISTRY = '127.0.0.1:1';

export const PATHS = {
  mutate: '/mutate/fail-10s-0',
  validate: '/validate/fail-10s-0',
  audit: '/validate/ignore-10s-0',
  imagesFail: '/validate/fail-5s-images',
  imagesIgnore: '/validate/ignore-5s-images',
} as const;

function signedImages(name: string, failurePolicy: 'Fail' | 'Ignore'): Policy {
  return policy({
    name,
    mode: 'Enforce',
    failurePolicy,
    timeoutSeconds: 5,
    controllers: [],
    match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
    rules: [
      {
        name: 'signed',
        type: 'verifyImages',
        target: POD_TARGET,
        imageReferences: [`${UNREACHABLE_REGISTRY}/**`],
        attestors: [{ entries: [{ type: 'key', name: 'release', publicKey: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE0000\n-----END PUBLIC KEY-----\n' }] }],
        required: true,
        mutateDigest: false,
        verifyDigest: false,
        requestTimeoutMs: 1000,
        cacheTtlSeconds: 60,
        negativeCacheTtlSeconds: 0,
        registries: [{ host: UNREACHABLE_REGISTRY, insecure: true }],
      },
    ],
  });
}

export function testBundle(overrides: { name?: string; mutateDefaults?: { cpu: string; memory: string } } = {}): Bundle {
  const limits = overrides.mutateDefaults ?? { cpu: '500m', memory: '256Mi' };
  return validBundle(
    overrides.name ?? 'server-test',
    [
      policy({
        name: 'resource-defaults',
        mode: 'Enforce',
        failurePolicy: 'Fail',
        rules: withAutogen('defaults', { type: 'defaultResources', requests: { cpu: '100m', memory: '128Mi' }, limits }),
      }),
      policy({
        name: 'resource-limits',
        mode: 'Enforce',
        failurePolicy: 'Fail',
        rules: withAutogen('limits', { type: 'requireResources', limits: ['cpu', 'memory'], requests: [] }),
      }),
      policy({
        name: 'resource-audit',
        mode: 'Audit',
        failurePolicy: 'Ignore',
        rules: withAutogen('requests', { type: 'requireResources', limits: [], requests: ['cpu', 'memory'] }),
      }),
      signedImages('signed-images-fail', 'Fail'),
      signedImages('signed-images-ignore', 'Ignore'),
    ],
    [
      webhook({ path: PATHS.mutate, type: 'mutating', failurePolicy: 'Fail', policies: ['resource-defaults'] }),
      webhook({ path: PATHS.validate, type: 'validating', failurePolicy: 'Fail', policies: ['resource-limits'] }),
      webhook({ path: PATHS.audit, type: 'validating', failurePolicy: 'Ignore', policies: ['resource-audit'] }),
      webhook({ path: PATHS.imagesFail, type: 'validating', failurePolicy: 'Fail', timeoutSeconds: 5, rules: POD_ONLY_RULES, policies: ['signed-images-fail'] }),
      webhook({ path: PATHS.imagesIgnore, type: 'validating', failurePolicy: 'Ignore', timeoutSeconds: 5, rules: POD_ONLY_RULES, policies: ['signed-images-ignore'] }),
    ],
  );
}

// ---- objects ---------------------------------------------------------------------------------

export interface ContainerSpec {
  name: string;
  image: string;
  resources?: Record<string, unknown>;
  securityContext?: Record<string, unknown>;
}

export const COMPLIANT_CONTAINER: ContainerSpec = {
  name: 'app',
  image: 'registry.example.com/team/app:1.4.2',
  resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
};

export function podSpec(containers: ContainerSpec[]): Record<string, unknown> {
  return {
    containers: containers.map((c) => ({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
      ...c,
    })),
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default',
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
  };
}

export function pod(name: string, containers: ContainerSpec[], namespace = 'team-a'): Record<string, unknown> {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name, namespace, labels: { app: name }, creationTimestamp: null },
    spec: podSpec(containers),
    status: {},
  };
}

export function deployment(name: string, containers: ContainerSpec[], namespace = 'team-a'): Record<string, unknown> {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name, namespace, generation: 1, creationTimestamp: null, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { creationTimestamp: null, labels: { app: name } }, spec: podSpec(containers) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  };
}

// ---- AdmissionReviews ------------------------------------------------------------------------

export interface ReviewOptions {
  operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  object: Record<string, unknown> | null;
  oldObject?: Record<string, unknown> | null;
  subResource?: string;
  dryRun?: boolean;
  uid?: string;
}

const GVR: Record<string, { group: string; version: string; resource: string }> = {
  Pod: { group: '', version: 'v1', resource: 'pods' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  ConfigMap: { group: '', version: 'v1', resource: 'configmaps' },
};

/** An AdmissionReview as kube-apiserver sends it (fields, defaults and envelope included). */
export interface TestReview {
  apiVersion: string;
  kind: string;
  request: Record<string, unknown> & { uid: string };
}

export function review(options: ReviewOptions): TestReview {
  const obj = options.object ?? options.oldObject ?? {};
  const kind = String(obj.kind);
  const gvr = GVR[kind] ?? { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` };
  const gvk = { group: gvr.group, version: gvr.version, kind };
  const metadata = (obj.metadata ?? {}) as { name?: string; namespace?: string };
  const operation = options.operation ?? 'CREATE';
  const optionsKind = operation === 'CREATE' ? 'CreateOptions' : operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions';
  const request: TestReview['request'] = {
    uid: options.uid ?? randomUUID(),
    kind: gvk,
    resource: gvr,
    requestKind: gvk,
    requestResource: gvr,
    name: metadata.name,
    namespace: metadata.namespace,
    operation,
    userInfo: {
      username: 'kubernetes-admin',
      groups: ['system:masters', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': ['X509SHA256=0f3c'] },
    },
    object: options.object,
    oldObject: options.oldObject ?? null,
    dryRun: options.dryRun ?? false,
    options: { kind: optionsKind, apiVersion: 'meta.k8s.io/v1', ...(operation === 'DELETE' ? { propagationPolicy: 'Background' } : { fieldManager: 'kubectl-client-side-apply', fieldValidation: 'Strict' }) },
  };
  if (options.subResource !== undefined) {
    request.subResource = options.subResource;
    request.requestSubResource = options.subResource;
  }
  return { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request };
}

/**
 * A parsed JSON document that tests navigate freely (response bodies, objects to tweak). The
 * one deliberate `any` in these tests: JSON shapes are asserted by the expectations themselves.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
