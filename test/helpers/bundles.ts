/**
 * Typed rule-bundle builders shared by the test and bench fixtures: the autogen expansion of a Pod
 * rule, the webhook shape synth emits, and a bundle envelope that is always validated (through
 * `validateBundle`, so no test or bench runs against a bundle the runtime would refuse).
 */
import {
  BUNDLE_API_VERSION,
  BUNDLE_KIND,
  CONTROLLER_TARGETS,
  POD_TARGET,
  validateBundle,
  type Bundle,
  type Policy,
  type Rule,
  type Webhook,
  type WebhookRule,
} from '../../runtime/bundle';

export const RUNTIME_NAMESPACE = 'portcullis-system';

/** A rule without the fields autogen sets. */
export type RuleBody = Rule extends infer R ? (R extends Rule ? Omit<R, 'name' | 'target' | 'autogenFrom'> : never) : never;

/** A Pod rule plus its autogen copy for every controller (`autogen-<kind>-<name>`). */
export function withAutogen(name: string, body: RuleBody): Rule[] {
  const rules = [{ ...body, name, target: POD_TARGET } as Rule];
  for (const [kind, target] of Object.entries(CONTROLLER_TARGETS)) {
    rules.push({ ...body, name: `autogen-${kind.toLowerCase()}-${name}`, autogenFrom: name, target });
  }
  return rules;
}

/** A policy over Pods (and their ephemeral containers) and every controller. */
export function podPolicy(p: Pick<Policy, 'name' | 'mode' | 'failurePolicy' | 'rules'> & Partial<Policy>): Policy {
  return {
    timeoutSeconds: 10,
    controllers: Object.keys(CONTROLLER_TARGETS),
    match: { kinds: ['Pod', 'Pod/ephemeralcontainers'], operations: ['CREATE', 'UPDATE'] },
    exemptions: [],
    exemptionHelp: 'https://platform.example.com/exemptions',
    ...p,
  };
}

/** The webhook rules that select Pods, ephemeral containers and every controller. */
export const POD_AND_CONTROLLER_RULES: WebhookRule[] = [
  { apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers'], operations: ['CREATE', 'UPDATE'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], operations: ['CREATE', 'UPDATE'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'], operations: ['CREATE', 'UPDATE'] },
];

/** A webhook named after its path, outside kube-system and the runtime namespace, over Pods and controllers. */
export function webhook(w: Pick<Webhook, 'path' | 'type' | 'failurePolicy' | 'policies'> & Partial<Webhook>): Webhook {
  return {
    name: `${w.path.slice(1).replace(/\//g, '-')}.portcullis.dev`,
    timeoutSeconds: 10,
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', RUNTIME_NAMESPACE] }] },
    rules: POD_AND_CONTROLLER_RULES,
    ...w,
  };
}

/** A validated bundle in runtime namespace portcullis-system. */
export function validBundle(name: string, policies: Policy[], webhooks: Webhook[] = [], trustedRoots: Record<string, unknown> = {}): Bundle {
  const bundle: Bundle = {
    apiVersion: BUNDLE_API_VERSION,
    kind: BUNDLE_KIND,
    metadata: { name, runtimeNamespace: RUNTIME_NAMESPACE },
    policies,
    webhooks,
    trust: { trustedRoots },
  };
  return validateBundle(bundle).bundle;
}
