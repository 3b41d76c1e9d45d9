/**
 * fast-check policies for the tests that check every generated ValidatingAdmissionPolicy
 * (limits.test.ts, cel-functions.test.ts): any subset of the validating families, with autogen
 * copies for the chosen kinds, exemptions of every shape the compiler reads (namespaces, selectors,
 * controls with fields, values and images), exemption help text and operations. The families
 * without a CEL compiler yet (Pod Security, requireResources, hostPaths) are generated too, so the
 * checks cover them as soon as they compile. Generated values are not meant to be admitted
 * workloads (differential.test.ts has those); only policies.
 */
import fc from 'fast-check';
import { CONTROLLER_TARGETS, POD_TARGET, type Exemption, type Policy, type Rule, type Target } from '../../runtime/bundle';

const TARGETS: Target[] = [POD_TARGET, ...Object.values(CONTROLLER_TARGETS)];
const CONTROLS = ['hostNamespaces', 'requireLabels', 'denyRuntimeSocket', 'disallowLatestTag', 'requireDigest', 'allowedRegistries', 'hostPaths', 'requireResources', 'privileged', 'capabilities_restricted'];

/** One rule per kind: the Pod rule and its autogen copies (autogenFrom). */
function expand(rule: Record<string, unknown> & { name: string }, kinds: readonly string[]): Rule[] {
  return kinds.map((kind) => {
    const target = TARGETS.find((t) => t.kind === kind) as Target;
    return (kind === 'Pod' ? { ...rule, target } : { ...rule, name: `autogen-${kind.toLowerCase()}-${rule.name}`, autogenFrom: rule.name, target }) as unknown as Rule;
  });
}

const exemptionArb: fc.Arbitrary<Exemption> = fc
  .record(
    {
      namespaces: fc.subarray(['apps', 'apps-*', 'team-?', 'ops*', '*', 'payments']),
      objectSelector: fc.record({ matchLabels: fc.dictionary(fc.constantFrom('app', 'tier', 'app.kubernetes.io/name'), fc.constantFrom('web', 'db', 'x'), { minKeys: 1, maxKeys: 3 }) }),
      namespaceSelector: fc.constant({ matchLabels: { team: 'a' } }),
      controls: fc.array(
        fc.record(
          {
            control: fc.constantFrom(...CONTROLS),
            field: fc.constantFrom('hostPID', 'spec.hostNetwork', 'spec.template.spec.hostIPC', 'labels', 'metadata.labels.owner', 'hostPath.path', 'image', 'spec.image'),
            values: fc.subarray(['true', 'owner', 'team', '/run/docker.sock', '/var/run', '/', 'nginx', 'unset', '', 'registry.example.com/app:v1']),
            images: fc.subarray(['registry.example.com/**', 'docker.io/library/*', '*.example.com:*/**'], { minLength: 1 }),
          },
          { requiredKeys: ['control'] },
        ),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: ['controls'] },
  )
  .map((e) => ({ name: 'e', owner: 'o', reason: 'r', ...e }));

const ruleArbs: fc.Arbitrary<Record<string, unknown> & { name: string }>[] = [
  fc.subarray(['hostPID', 'hostIPC', 'hostNetwork'], { minLength: 1 }).map((deny) => ({ name: 'no-host', type: 'hostNamespaces', deny })),
  fc
    .uniqueArray(
      fc.record({ key: fc.constantFrom('owner', 'team', 'app.kubernetes.io/name', 'cost-center'), valuePattern: fc.constantFrom('v?[0-9]+\\.[0-9]+\\.[0-9]+', 'production|staging', '[a-z]+(-[a-z]+)*') }, { requiredKeys: ['key'] }),
      { minLength: 1, maxLength: 4, selector: (l) => l.key },
    )
    .map((labels) => ({ name: 'labels', type: 'requireLabels', labels })),
  fc
    .subarray(['/var/run/docker.sock', '/run/containerd/containerd.sock', '/var/run/crio/crio.sock', '/run/podman/podman.sock', '/var/run/cri-dockerd.sock', '/var/lib/kubelet/kubelet.sock', '/'], { minLength: 1 })
    .map((sockets) => ({ name: 'no-socket', type: 'denyRuntimeSocket', sockets })),
  fc.constant({ name: 'no-latest', type: 'disallowLatestTag' }),
  fc.constant({ name: 'digest', type: 'requireDigest' }),
  fc
    .subarray(['registry.example.com/**', 'registry.example.com/*', '*.example.com:*/**', 'docker.io/library/*', 'nginx:1.*', '**/app', 'r.io/**', 'localhost:5000/app', '[::1]:5000/**', 'ghcr.io/org/*@sha256:*'], { minLength: 1, maxLength: 4 })
    .map((allowed) => ({ name: 'registries', type: 'allowedRegistries', allowed })),
  fc.record({ level: fc.constantFrom('baseline', 'restricted'), version: fc.constantFrom('latest', 'v1.25', 'v1.0') }).map((r) => ({ name: 'pss', type: 'podSecurity', ...r })),
  fc.record({ limits: fc.subarray(['cpu', 'memory']), requests: fc.subarray(['cpu', 'memory']) }).map((r) => ({ name: 'resources', type: 'requireResources', ...r })),
  fc
    .array(fc.record({ pathPrefix: fc.constantFrom('/var/log', '/data', '/etc/ssl/certs', '/'), readOnly: fc.boolean() }), { minLength: 1, maxLength: 3 })
    .map((allowed) => ({ name: 'host-paths', type: 'hostPaths', allowed })),
];

export const KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'];

/** A policy with any non-empty subset of the validating families. */
export const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    mode: fc.constantFrom<'Audit' | 'Enforce'>('Audit', 'Enforce'),
    failurePolicy: fc.constantFrom<'Fail' | 'Ignore'>('Fail', 'Ignore'),
    kinds: fc.subarray(KINDS, { minLength: 1 }),
    rules: fc.tuple(...ruleArbs.map((a) => fc.option(a, { nil: undefined }))),
    exemptions: fc.array(exemptionArb, { maxLength: 3 }),
    help: fc.option(fc.constantFrom('https://example.com/ask', 'ask #platform (allowed: never)  '), { nil: undefined }),
    operations: fc.constantFrom(['CREATE', 'UPDATE'], ['CREATE'], ['UPDATE']),
  })
  .filter((p) => p.rules.some((r) => r !== undefined))
  .map((p) => {
    const policy: Policy = {
      name: 'generated',
      mode: p.mode,
      failurePolicy: p.failurePolicy,
      timeoutSeconds: 10,
      controllers: p.kinds.filter((k) => k !== 'Pod'),
      match: { kinds: p.kinds, operations: [...p.operations] },
      rules: p.rules.flatMap((r) => (r === undefined ? [] : expand(r, p.kinds))),
      exemptions: p.exemptions.map((e, i) => ({ ...e, name: `ex-${i}` })),
    };
    if (p.help !== undefined) policy.exemptionHelp = p.help;
    return policy;
  });
