/**
 * Engine evaluation time for the restricted Pod Security policy (latest), per Pod and per
 * Deployment: the validate phase through `evaluate()` (what the validating webhook runs per request,
 * after decoding), a violating pod (messages built), and `evaluateOffline()` with defaulting
 * mutations in front (what the CLIs run). Median and p99 over many iterations after warm-up,
 * measured one call at a time with process.hrtime.bigint().
 */
import { CONTROLLER_TARGETS, POD_TARGET, type Bundle, type Policy } from '../runtime/bundle';
import { evaluate, evaluateOffline } from '../runtime/engine/evaluate';
import type { AdmissionInput, EvaluationContext } from '../runtime/engine/types';
import { validBundle, withAutogen } from '../test/helpers/bundles';

const WARMUP = 5_000;
const ITERATIONS = 50_000;

function pssPolicy(): Policy {
  const rules = withAutogen('restricted', { type: 'podSecurity', level: 'restricted', version: 'latest' });
  return {
    name: 'pod-security',
    mode: 'Enforce',
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    controllers: Object.keys(CONTROLLER_TARGETS),
    match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
    rules,
    exemptions: [
      {
        name: 'net-tools',
        owner: 'platform',
        reason: 'debugging',
        namespaces: ['platform-network'],
        controls: [{ control: 'capabilities_restricted', field: 'capabilities.add', values: ['NET_ADMIN'], images: ['registry.example.com/tools/*'] }],
      },
    ],
  };
}

function defaultsPolicy(): Policy {
  return {
    name: 'defaults',
    mode: 'Enforce',
    failurePolicy: 'Ignore',
    timeoutSeconds: 5,
    controllers: ['Deployment'],
    match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
    rules: [
      { name: 'seccomp', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: POD_TARGET },
      { name: 'seccomp-deploy', autogenFrom: 'seccomp', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: CONTROLLER_TARGETS.Deployment },
      { name: 'resources', type: 'defaultResources', requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' }, target: POD_TARGET },
      { name: 'resources-deploy', autogenFrom: 'resources', type: 'defaultResources', requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' }, target: CONTROLLER_TARGETS.Deployment },
    ],
    exemptions: [],
  };
}

const bundle: Bundle = validBundle('bench', [defaultsPolicy(), pssPolicy()]);
const pss = bundle.policies.filter((p) => p.name === 'pod-security');

function container(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    image: `registry.example.com/team/${name}:1.2.3`,
    ports: [{ containerPort: 8080 }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, ...extra },
  };
}

function podSpec(): Record<string, unknown> {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    initContainers: [container('init')],
    containers: [container('app'), container('sidecar')],
    volumes: [{ name: 'config', configMap: { name: 'cfg' } }, { name: 'tmp', emptyDir: {} }],
  };
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'apps', labels: { app: 'web' } }, spec: podSpec() };
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } },
};
const badPod = structuredClone(pod) as unknown as { spec: { containers: Array<{ securityContext: Record<string, unknown> }>; hostNetwork?: boolean } };
badPod.spec.containers[0].securityContext.privileged = true;
badPod.spec.containers[0].securityContext.capabilities = { add: ['NET_ADMIN', 'SYS_ADMIN'] };
badPod.spec.hostNetwork = true;

function input(object: Record<string, unknown>, group: string, kind: string, resource: string): AdmissionInput {
  return {
    uid: 'bench',
    kind: { group, version: 'v1', kind },
    resource: { group, version: 'v1', resource },
    operation: 'CREATE',
    namespace: 'apps',
    name: 'web',
    object,
  };
}

const ctx: EvaluationContext = { now: new Date('2026-06-01T00:00:00Z'), excludedNamespaces: ['portcullis-system'] };

async function measure(label: string, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  samples.sort();
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  process.stdout.write(
    `${label.padEnd(52)} median ${q(0.5).toFixed(1).padStart(6)} µs   p99 ${q(0.99).toFixed(1).padStart(6)} µs   (n=${ITERATIONS})\n`,
  );
}

async function main(): Promise<void> {
  const podIn = input(pod, '', 'Pod', 'pods');
  const deployIn = input(deployment, 'apps', 'Deployment', 'deployments');
  const badIn = input(badPod, '', 'Pod', 'pods');
  // sanity: the benchmark measures real verdicts
  if (!(await evaluate('validate', podIn, pss, ctx)).allowed) throw new Error('compliant pod denied');
  if (!(await evaluate('validate', deployIn, pss, ctx)).allowed) throw new Error('compliant deployment denied');
  if ((await evaluate('validate', badIn, pss, ctx)).violations.length < 3) throw new Error('violating pod not denied');

  process.stdout.write(`restricted Pod Security (latest), 1 init + 2 containers; node ${process.version}\n`);
  await measure('validate: Pod (compliant)', () => evaluate('validate', podIn, pss, ctx));
  await measure('validate: Deployment (compliant)', () => evaluate('validate', deployIn, pss, ctx));
  await measure('validate: Pod (violating: messages built)', () => evaluate('validate', badIn, pss, ctx));
  await measure('offline mutate+validate: Pod (defaults + restricted)', () => evaluateOffline(podIn, bundle.policies, ctx));
  await measure('offline mutate+validate: Deployment', () => evaluateOffline(deployIn, bundle.policies, ctx));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
