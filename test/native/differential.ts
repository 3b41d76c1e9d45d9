/**
 * The differential oracle: one admission request through the engine (as the webhook evaluates it)
 * and through the generated ValidatingAdmissionPolicy (cel-harness.ts); the verdict, the set of
 * violated rules and every rule's message must be equal.
 */
import { expect } from 'vitest';
import type { Policy } from '../../runtime/bundle';
import { evaluateNow } from '../../runtime/engine/evaluate';
import type { Decision } from '../../runtime/engine/types';
import type { CompiledPolicy } from '../../runtime/native';
import { boundNativeMessage } from '../../runtime/native/message-bound';
import { violationLine } from '../../runtime/server/violation-text';
import { evaluateNative, type NativeRequest } from './cel-harness';
import { engineInput, RUNTIME_NAMESPACE } from './compile-input';

export { compileForTest, NEVER, RUNTIME_NAMESPACE } from './compile-input';

export interface Comparison {
  engine: Record<string, string>;
  native: Record<string, string>;
  engineAllowed: boolean;
  nativeAllowed: boolean;
  matched: boolean;
}

/** Both sides for one request (the engine restricted to the rules that compiled). */
export function compare(policy: Policy, compiled: CompiledPolicy, req: NativeRequest, podDefaults: readonly Policy[] = [policy], now = new Date('2026-06-01T00:00:00Z')): Comparison {
  const objects = compiled.objects;
  if (objects === undefined) throw new Error(`${policy.name}: nothing compiled`);
  // A carved rule (runtime/native/carve-out.ts: expiring exemptions scoped to literal namespaces)
  // is left to the webhook in those namespaces: there the ValidatingAdmissionPolicy yields nothing
  // for it by design while the engine may report (with the expiring exemptions), so the engine's
  // lines of that rule are not compared for such a request; the CEL must still yield none for it.
  const results = compiled.results.filter((r) => r.kind === 'compiled');
  const rules = results.map((r) => r.rule);
  const carved = new Set(results.filter((r) => req.namespace !== undefined && (r.webhookNamespaces ?? []).includes(req.namespace)).map((r) => r.rule));
  const input = engineInput(req);
  const native = evaluateNative(objects, req);
  const decision = evaluateNow('validate', input, [policy], { now, excludedNamespaces: [RUNTIME_NAMESPACE], podDefaults }) as Decision;
  expect(decision.errors).toEqual([]);
  const engine: Record<string, string[]> = {};
  for (const v of [...decision.violations, ...decision.warnings]) {
    if (!rules.includes(v.rule) || carved.has(v.rule)) continue;
    (engine[v.rule] ??= []).push(violationLine(v));
  }
  const nativeLines: Record<string, string> = {};
  for (const f of native.failures) nativeLines[rules[f.index]] = f.message;
  const engineLines = Object.fromEntries(Object.entries(engine).map(([r, lines]) => [r, boundNativeMessage(lines.join(' | '))]));
  const deny = (objects.binding as { spec: { validationActions: string[] } }).spec.validationActions.includes('Deny');
  return {
    engine: native.matched ? engineLines : {},
    native: nativeLines,
    engineAllowed: !decision.violations.some((v) => rules.includes(v.rule) && !carved.has(v.rule)),
    nativeAllowed: !(deny && native.failures.length > 0),
    matched: native.matched,
  };
}

/** Assert equality; returns the comparison (for counting). */
export function expectEqual(policy: Policy, compiled: CompiledPolicy, req: NativeRequest, podDefaults?: readonly Policy[]): Comparison {
  const c = compare(policy, compiled, req, podDefaults);
  expect(c.native, `${policy.name} on ${JSON.stringify(req.object).slice(0, 300)}`).toEqual(c.engine);
  if (c.matched) expect(c.nativeAllowed).toBe(c.engineAllowed);
  return c;
}
