/**
 * Typed bundle/policy builders for engine tests. Every policy is validated through `validateBundle`
 * so no test runs against a bundle the runtime would refuse.
 */
import { CONTROLLER_TARGETS, type Exemption, type Policy, type Rule } from '../../runtime/bundle';
import type { AdmissionInput, EvaluationContext } from '../../runtime/engine/types';
import { validBundle, withAutogen } from '../helpers/bundles';

export const NOW = new Date('2026-06-01T00:00:00Z');
export const ctx: EvaluationContext = { now: NOW, excludedNamespaces: ['portcullis-system'] };

export function pssRules(level: 'baseline' | 'restricted', version = 'latest', controllers = true): Rule[] {
  const rules = withAutogen('pss', { type: 'podSecurity', level, version });
  return controllers ? rules : rules.slice(0, 1);
}

export function policy(overrides: Partial<Policy> = {}): Policy {
  const p: Policy = {
    name: 'pod-security',
    mode: 'Enforce',
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    controllers: Object.keys(CONTROLLER_TARGETS),
    match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
    rules: pssRules('restricted'),
    exemptions: [],
    exemptionHelp: 'open a ticket in #platform',
    ...overrides,
  };
  return validated([p])[0];
}

export function exemption(e: Partial<Exemption> & Pick<Exemption, 'controls'>): Exemption {
  return { name: 'ex', owner: 'team-a', reason: 'needed', ...e };
}

export function validated(policies: Policy[]): Policy[] {
  return validBundle('test', policies).policies;
}

/** A pod that passes restricted at every version. */
export function restrictedPod(extra: { spec?: Record<string, unknown>; container?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'apps', labels: { app: 'p' } },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'app',
          image: 'registry.example.com/team/app:1.0',
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            ...(extra.container ?? {}),
          },
        },
      ],
      ...(extra.spec ?? {}),
    },
  };
}

const GVR: Record<string, { group: string; resource: string }> = {
  Pod: { group: '', resource: 'pods' },
  Deployment: { group: 'apps', resource: 'deployments' },
  StatefulSet: { group: 'apps', resource: 'statefulsets' },
  DaemonSet: { group: 'apps', resource: 'daemonsets' },
  ReplicaSet: { group: 'apps', resource: 'replicasets' },
  ReplicationController: { group: '', resource: 'replicationcontrollers' },
  Job: { group: 'batch', resource: 'jobs' },
  CronJob: { group: 'batch', resource: 'cronjobs' },
};

export function admission(object: Record<string, unknown>, over: Partial<AdmissionInput> = {}): AdmissionInput {
  const kind = String(object.kind);
  const g = GVR[kind] ?? { group: '', resource: kind.toLowerCase() + 's' };
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    uid: 'u1',
    kind: { group: g.group, version: 'v1', kind },
    resource: { group: g.group, version: 'v1', resource: g.resource },
    operation: 'CREATE',
    namespace: meta.namespace ?? 'apps',
    name: meta.name ?? 'x',
    object,
    ...over,
  };
}

/** Wrap a pod into a controller's template. */
export function wrap(kind: string, pod: Record<string, unknown>): Record<string, unknown> {
  const template = { metadata: pod.metadata, spec: pod.spec };
  const meta = { name: 'w', namespace: 'apps', labels: { owner: 'x' } };
  if (kind === 'CronJob') {
    return { apiVersion: 'batch/v1', kind, metadata: meta, spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } };
  }
  const apiVersion = GVR[kind].group === '' ? 'v1' : `${GVR[kind].group}/v1`;
  return { apiVersion, kind, metadata: meta, spec: { selector: {}, template } };
}
