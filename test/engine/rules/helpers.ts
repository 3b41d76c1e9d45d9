/** Builders for rule-family unit tests: a validated policy around one rule, and its RuleInput. */
import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { CONTROLLER_TARGETS, POD_TARGET, type Policy, type Rule, type Target } from '../../../runtime/bundle';
import { podView } from '../../../runtime/engine/pod-view';
import type {
  AdmissionInput,
  EvaluationContext,
  Finding,
  JsonPatchOperation,
  RuleFamily,
  RuleInput,
} from '../../../runtime/engine/types';
import { validBundle } from '../../helpers/bundles';

const ctx: EvaluationContext = { now: new Date('2026-06-01T00:00:00Z') };

/** Policies as the runtime would load them (validated by the bundle schema). */
export function validated(policies: Policy[]): Policy[] {
  return validBundle('test', policies).policies;
}

export { POD_TARGET, CONTROLLER_TARGETS };

export function policyFor(rule: Rule): Policy {
  return validated([
    {
      name: 'hardening',
      mode: 'Enforce',
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
      controllers: [],
      match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
      rules: [rule],
      exemptions: [],
    },
  ])[0];
}

export function ruleInput<R extends Rule>(rule: R, object: unknown, operation: AdmissionInput['operation'] = 'CREATE'): RuleInput<R> {
  const pod = podView(object, rule.target);
  if (pod === undefined) throw new Error('object has no pod spec at the rule target');
  const request: AdmissionInput = {
    uid: 'u1',
    kind: { group: rule.target.group, version: rule.target.version, kind: rule.target.kind },
    resource: { group: rule.target.group, version: rule.target.version, resource: rule.target.resource },
    operation,
    namespace: 'team-a',
    object,
  };
  return { policy: policyFor(rule), rule, pod, request, context: ctx };
}

export async function validate<R extends Rule>(family: RuleFamily<R>, rule: R, object: unknown): Promise<Finding[]> {
  if (!family.validate) throw new Error('family has no validator');
  return family.validate(ruleInput(rule, object));
}

export async function mutate<R extends Rule>(
  family: RuleFamily<R>,
  rule: R,
  object: unknown,
  operation: AdmissionInput['operation'] = 'CREATE',
): Promise<JsonPatchOperation[]> {
  if (!family.mutate) throw new Error('family has no mutator');
  return family.mutate(ruleInput(rule, object, operation));
}

/** Apply RFC 6902 operations with fast-json-patch (validating them) to a copy of `object`. */
export function applied<T>(object: T, ops: JsonPatchOperation[]): T {
  return applyPatch(deepClone(object), ops as Operation[], true, false).newDocument as T;
}

/** Mutate, apply, and run a second pass over the result (which must add nothing). */
export async function mutateToFixpoint<R extends Rule>(
  family: RuleFamily<R>,
  rule: R,
  object: unknown,
  // The patched document is navigated freely by the tests' assertions.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ ops: JsonPatchOperation[]; result: any; second: JsonPatchOperation[] }> {
  const ops = await mutate(family, rule, object);
  const result = applied(object, ops);
  const second = await mutate(family, rule, result);
  return { ops, result, second };
}

export function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

export function deployment(spec: Record<string, unknown>, templateMetadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { replicas: 1, template: { metadata: templateMetadata, spec } },
  };
}

export function cronJob(spec: Record<string, unknown>, templateMetadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'c' },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { metadata: templateMetadata, spec } } } },
  };
}

export function targetFor(kind: 'Pod' | keyof typeof CONTROLLER_TARGETS): Target {
  return kind === 'Pod' ? POD_TARGET : CONTROLLER_TARGETS[kind];
}
