/**
 * Typed bundle/policy builders for engine tests. Every policy is validated through `validateBundle`
 * so no test runs against a bundle the runtime would refuse.
 */
import { CONTROLLER_TARGETS, type Exemption, type Policy, type Rule } from '../../runtime/bundle';
import type { EvaluationContext } from '../../runtime/engine/types';
import { admission, workloadApiVersion } from '../helpers/admission';
import { validBundle, withAutogen } from '../helpers/bundles';

export { admission };

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

/** Wrap a pod into a controller's template. */
export function wrap(kind: string, pod: Record<string, unknown>): Record<string, unknown> {
  const template = { metadata: pod.metadata, spec: pod.spec };
  const meta = { name: 'w', namespace: 'apps', labels: { owner: 'x' } };
  if (kind === 'CronJob') {
    return { apiVersion: 'batch/v1', kind, metadata: meta, spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } };
  }
  return { apiVersion: workloadApiVersion(kind), kind, metadata: meta, spec: { selector: {}, template } };
}
