/**
 * Evaluating generated ValidatingAdmissionPolicies the way the API server does, with a real CEL
 * implementation (@marcbachmann/cel-js): matchConstraints (resources, operations, namespace and
 * object selectors), then the variables in order, then every validation and its messageExpression.
 * cel-js provides the CEL standard library; the Kubernetes libraries it lacks are supplied here:
 * the quantity library (k8s-quantity.ts), the lists library's `indexOf` and the regex library's
 * `find` (k8s-library.ts). Known cel-js difference from cel-go, avoided by the generators: cel-js
 * counts `size()` in code points as cel-go does, but `substring` in UTF-16 units.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { LabelSelector } from '../../runtime/bundle';
import { matchesLabelSelector, labelsOf } from '../../runtime/engine/label-selector';
import type { NativeObjects } from '../../runtime/native';
import { registerKubernetesLibraries } from './k8s-library';
import { registerQuantityLibrary } from './k8s-quantity';

export interface NativeRequest {
  operation: 'CREATE' | 'UPDATE';
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  namespace: string;
  namespaceLabels?: Record<string, string>;
  object: unknown;
  oldObject?: unknown;
}

export interface NativeOutcome {
  /** Whether matchConstraints selected the request at all. */
  matched: boolean;
  /** Failed validations: their index and the messageExpression's value. */
  failures: { index: number; message: string }[];
}

const env = registerKubernetesLibraries(
  registerQuantityLibrary(new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true, homogeneousAggregateLiterals: true })),
);

type Program = (ctx: Record<string, unknown>) => unknown;
const programs = new Map<string, Program>();

export function program(expression: string): Program {
  let p = programs.get(expression);
  if (p === undefined) {
    p = env.parse(expression);
    programs.set(expression, p);
  }
  return p;
}

interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
}

interface VapSpec {
  failurePolicy: string;
  matchConstraints: { resourceRules: ResourceRule[]; namespaceSelector?: LabelSelector; objectSelector?: LabelSelector };
  variables: { name: string; expression: string }[];
  validations: { expression: string; messageExpression: string }[];
}

export function vapSpec(objects: NativeObjects): VapSpec {
  return (objects.policy as { spec: VapSpec }).spec;
}

function matches(spec: VapSpec, req: NativeRequest): boolean {
  const resource = req.subResource === undefined || req.subResource === '' ? req.resource.resource : `${req.resource.resource}/${req.subResource}`;
  const ruleOk = spec.matchConstraints.resourceRules.some(
    (r) => r.apiGroups.includes(req.resource.group) && r.apiVersions.includes(req.resource.version) && r.resources.includes(resource) && r.operations.includes(req.operation),
  );
  if (!ruleOk) return false;
  const nsLabels = { ...(req.namespaceLabels ?? {}), 'kubernetes.io/metadata.name': req.namespace };
  const ns = spec.matchConstraints.namespaceSelector;
  if (ns !== undefined && !matchesLabelSelector(ns, nsLabels)) return false;
  const os = spec.matchConstraints.objectSelector;
  if (os !== undefined) {
    const sets = [labelsOf((req.object as { metadata?: unknown }).metadata)];
    if (req.oldObject !== undefined) sets.push(labelsOf((req.oldObject as { metadata?: unknown }).metadata));
    if (!sets.some((l) => matchesLabelSelector(os, l))) return false;
  }
  return true;
}

/**
 * A JSON value as the API server hands it to CEL: integers are CEL ints (the schema types every
 * number of a pod spec int32 or int64), not doubles as cel-js reads JavaScript numbers.
 */
export function celValue(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(celValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, celValue(x)]));
  return v;
}

/** Evaluate one generated policy on one request (errors propagate: a test then fails). */
export function evaluateNative(objects: NativeObjects, req: NativeRequest): NativeOutcome {
  const spec = vapSpec(objects);
  if (!matches(spec, req)) return { matched: false, failures: [] };
  const variables: Record<string, unknown> = {};
  const ctx: Record<string, unknown> = {
    object: celValue(req.object),
    oldObject: celValue(req.oldObject ?? null),
    request: { operation: req.operation, kind: req.kind, resource: req.resource, subResource: req.subResource ?? '', namespace: req.namespace },
    variables,
  };
  for (const v of spec.variables) variables[v.name] = program(v.expression)(ctx);
  const failures: NativeOutcome['failures'] = [];
  spec.validations.forEach((v, index) => {
    const ok = program(v.expression)(ctx);
    if (ok !== true && ok !== false) throw new Error(`validation ${index} did not evaluate to a bool: ${String(ok)}`);
    if (!ok) failures.push({ index, message: String(program(v.messageExpression)(ctx)) });
  });
  return { matched: true, failures };
}

/** Every CEL expression of a generated policy (variables, validations, messages). */
export function expressionsOf(objects: NativeObjects): string[] {
  const spec = vapSpec(objects);
  return [...spec.variables.map((v) => v.expression), ...spec.validations.flatMap((v) => [v.expression, v.messageExpression])];
}
