/**
 * The Pod Security differential oracle shared by test/native/pod-security-b.test.ts: policies with
 * one podSecurity rule (Pods and the autogen controllers), the rule compiled to the lines of one
 * control or whole, and the comparison of those lines with the engine's.
 *
 * Annotation order: the API server hands the webhook an annotation map with its keys sorted (Go
 * encodes a map[string]string so), while CEL iterates a map in no defined order; so the engine
 * reads the object with sorted annotation keys and the CEL reads it with them reversed, which
 * proves the generated CEL independent of the order it meets the keys in.
 */
import { expect } from 'vitest';
import { CONTROLLER_TARGETS, POD_TARGET, type Exemption, type Policy, type PssControl, type Rule, type Target } from '../../runtime/bundle';
import { evaluateNow } from '../../runtime/engine/evaluate';
import type { PssLevel } from '../../runtime/engine/pss/check';
import { checksFor } from '../../runtime/engine/pss/registry';
import type { Decision } from '../../runtime/engine/types';
import { compilePolicy, type CompiledPolicy } from '../../runtime/native';
import { boundNativeMessage } from '../../runtime/native/message-bound';
import { podSecurityCompiler } from '../../runtime/native/pod-security';
import type { NativeControl } from '../../runtime/native/pss/control';
import { violationLine } from '../../runtime/server/violation-text';
import { webhookSelectors } from '../../constructs/webhook-groups';
import { evaluateNative, type NativeRequest } from './cel-harness';
import { engineInput, NEVER, RUNTIME_NAMESPACE } from './compile-input';

export const TARGETS: Target[] = [POD_TARGET, ...Object.values(CONTROLLER_TARGETS)];
export const KINDS = TARGETS.map((t) => t.kind);

export function targetOf(kind: string): Target {
  const t = TARGETS.find((x) => x.kind === kind);
  if (t === undefined) throw new Error(`no target ${kind}`);
  return t;
}

export interface PssPolicyOptions {
  kinds?: readonly string[];
  exemptions?: Exemption[];
  mode?: 'Audit' | 'Enforce';
  help?: string;
  operations?: ('CREATE' | 'UPDATE')[];
}

/** A policy with one podSecurity rule `pss` over `kinds` (autogen copies for the controllers). */
export function pssPolicy(level: PssLevel, version: string, options: PssPolicyOptions = {}): Policy {
  const kinds = options.kinds ?? ['Pod'];
  const rules = kinds.map((k) => {
    const base = { name: 'pss', type: 'podSecurity', level, version, target: targetOf(k) };
    return (k === 'Pod' ? base : { ...base, name: `autogen-${k.toLowerCase()}-pss`, autogenFrom: 'pss' }) as Rule;
  });
  const policy: Policy = {
    name: 'pod-security',
    mode: options.mode ?? 'Enforce',
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    controllers: kinds.filter((k) => k !== 'Pod'),
    match: { kinds: [...kinds], operations: options.operations ?? ['CREATE', 'UPDATE'] },
    rules,
    exemptions: options.exemptions ?? [],
  };
  if (options.help !== undefined) policy.exemptionHelp = options.help;
  return policy;
}

/** The policy compiled with `controls`; with `only`, its podSecurity rule gives that control's lines alone. */
export function compileWith(policy: Policy, controls: readonly NativeControl[], only?: PssControl, podDefaults?: readonly Policy[]): CompiledPolicy {
  const selectors = webhookSelectors(policy.match, policy.exclude, NEVER);
  if (typeof selectors === 'string') throw new Error(selectors);
  return compilePolicy(policy, { selectors, families: { podSecurity: podSecurityCompiler(controls, only) }, ...(podDefaults !== undefined ? { podDefaults } : {}) });
}

/** The reason a podSecurity rule is refused when the Pod-defaults relief may apply and the compile has not the bundle's policies (pss/seccomp-restricted.ts). */
export const POD_DEFAULTS_REASON = /^Pod Security control seccompProfile_restricted: a controller's template is judged as its Pods will be after the bundle's Pod defaults/;

/** Does the Pod-defaults relief refusal apply to this policy compiled without the bundle (restricted from v1.19, Pods and controllers, CREATE)? */
export function reliefRefused(policy: Policy): boolean {
  const rule = policy.rules[0] as Rule & { level: PssLevel; version: string };
  const kinds = policy.rules.map((r) => r.target.kind);
  return applies(rule.level, rule.version, 'seccompProfile_restricted') && kinds.includes('Pod') && kinds.some((k) => k !== 'Pod') && policy.match.operations.includes('CREATE');
}

export function applies(level: PssLevel, version: string, control: PssControl): boolean {
  return checksFor(level, version).some((c) => c.id === control);
}

export function requestFor(object: Record<string, unknown>, namespace = 'payments'): NativeRequest {
  const t = targetOf(String(object.kind));
  return {
    operation: 'CREATE',
    kind: { group: t.group, version: t.version, kind: t.kind },
    resource: { group: t.group, version: t.version, resource: t.resource },
    namespace,
    object,
  };
}

/** The pod metadata objects of a Pod or controller (its own, its template's). */
function metadataOf(object: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const visit = (v: unknown, key: string): void => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    const r = v as Record<string, unknown>;
    if (key === 'metadata') out.push(r);
    for (const [k, x] of Object.entries(r)) if (k !== 'metadata' || key !== 'metadata') visit(x, k);
  };
  visit(object, '');
  return out;
}

/** A copy of `object` whose annotation maps have their keys in `order`. */
export function withAnnotationOrder(object: unknown, order: 'sorted' | 'reversed'): Record<string, unknown> {
  const copy = structuredClone(object) as Record<string, unknown>;
  for (const meta of metadataOf(copy)) {
    const a = meta.annotations;
    if (a === null || typeof a !== 'object' || Array.isArray(a)) continue;
    const keys = Object.keys(a).sort();
    if (order === 'reversed') keys.reverse();
    meta.annotations = Object.fromEntries(keys.map((k) => [k, (a as Record<string, unknown>)[k]]));
  }
  return copy;
}

export interface Lines {
  engine: string;
  native: string;
  /** Whether the engine denied (a violation of the compiled lines in Enforce). */
  engineDenied: boolean;
}

/**
 * The engine's lines (of `control`, or of the whole rule) for the object with sorted annotation
 * keys, and the CEL lines for it with them reversed, each joined with ` | `. `podDefaults`: the
 * bundle whose Pod defaults the engine applies to controllers (default: the policy alone).
 */
export function linesOf(policy: Policy, compiled: CompiledPolicy, control: PssControl | undefined, req: NativeRequest, podDefaults: readonly Policy[] = [policy]): Lines {
  const objects = compiled.objects;
  if (objects === undefined) throw new Error(`${control ?? 'podSecurity'}: ${JSON.stringify(compiled.results)}`);
  const input = engineInput(req, withAnnotationOrder(req.object, 'sorted'));
  const decision = evaluateNow('validate', input, [policy], { now: new Date('2026-06-01T00:00:00Z'), excludedNamespaces: [RUNTIME_NAMESPACE], podDefaults }) as Decision;
  expect(decision.errors).toEqual([]);
  const native = evaluateNative(objects, { ...req, object: withAnnotationOrder(req.object, 'reversed') });
  const mine = (v: { control?: string }): boolean => control === undefined || v.control === control;
  // The CEL message is cut before the API server's 5 KiB limit (message-bound.ts): the engine's lines are cut alike.
  const engine = native.matched ? boundNativeMessage([...decision.violations, ...decision.warnings].filter(mine).map(violationLine).join(' | ')) : '';
  expect(native.failures.length).toBeLessThanOrEqual(1);
  return { engine, native: native.failures.map((f) => f.message).join(' | '), engineDenied: decision.violations.some(mine) };
}

/** Asserts the CEL lines equal the engine's (and the verdict); returns the lines. */
export function expectLines(policy: Policy, compiled: CompiledPolicy, control: PssControl | undefined, req: NativeRequest, podDefaults?: readonly Policy[]): string {
  const c = linesOf(policy, compiled, control, req, podDefaults);
  expect(c.native, `${control ?? 'podSecurity'} on ${JSON.stringify(req.object).slice(0, 600)}`).toEqual(c.engine);
  if (control === undefined && c.engine !== '') expect(c.engineDenied).toBe(policy.mode === 'Enforce');
  return c.native;
}

/** Compilations memoized per (policy object, control or whole rule). */
export function memoCompile(controls: readonly NativeControl[]): (policy: Policy, only?: PssControl) => CompiledPolicy {
  const memo = new WeakMap<Policy, Map<string, CompiledPolicy>>();
  return (policy, only) => {
    let byControl = memo.get(policy);
    if (byControl === undefined) memo.set(policy, (byControl = new Map()));
    const key = only ?? '';
    let c = byControl.get(key);
    if (c === undefined) byControl.set(key, (c = compileWith(policy, controls, only)));
    return c;
  };
}
