/**
 * Kubernetes limits on generated ValidatingAdmissionPolicies (runtime/native/cost.ts): the synth-time
 * CEL parser (cel-parse.ts) reads every generated expression as @marcbachmann/cel-js does; the cost
 * estimate agrees with the runtime costs cel-go documents; every policy generated for the reference
 * bundle and for fast-check policies is within every limit; an oversized rule is refused with a
 * reason naming the limit and the estimate.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Environment } from '@marcbachmann/cel-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Policy, Rule } from '../../runtime/bundle';
import { POD_TARGET } from '../../runtime/bundle';
import { parseCel, type CelNode } from '../../runtime/native/cel-parse';
import { ACCEPTANCE_LIMITS, checkLimits, ENVELOPE, estimatePolicy, KUBERNETES_CEL_LIMITS, REFUSED_AT_SYNTH, withinLimits, type Envelope, type LimitKind } from '../../runtime/native/cost';
import type { NativeObjects } from '../../runtime/native';
import { expressionsOf } from './cel-harness';
import { compileForTest } from './compile-input';
import { policyArb } from './policy-arbitrary';

const bundle = JSON.parse(readFileSync(path.resolve(__dirname, '../../dist/portcullis-bundle.json'), 'utf8')) as { policies: Policy[] };
const celJs = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true, homogeneousAggregateLiterals: true });

const L = KUBERNETES_CEL_LIMITS;
const ALL_LIMITS: LimitKind[] = [...ACCEPTANCE_LIMITS, 'perExpressionCost', 'perEvaluationCost'];

/** The families compiled before the limit check existed: none of their rules may be refused for a limit. */
const CHECKED_FAMILIES = ['hostNamespaces', 'requireLabels', 'denyRuntimeSocket', 'disallowLatestTag', 'requireDigest', 'allowedRegistries'];

// ---- one canonical text for both parsers' trees ----------------------------------------------------

function literalText(v: unknown): string {
  if (typeof v === 'string') return `s${JSON.stringify(v)}`;
  if (typeof v === 'bigint') return `i${v}`;
  if (typeof v === 'number') return `d${v}`;
  if (typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'object' && v.constructor.name === 'UnsignedInt') return `u${String((v as { valueOf(): number | bigint }).valueOf())}`;
  throw new Error(`unexpected cel-js literal of type ${typeof v}`);
}

/** A node of the @marcbachmann/cel-js AST (its `op` and `args`). */
interface CelJsNode {
  op: string;
  args: unknown;
}

/** @marcbachmann/cel-js AST as canonical text. */
function celJsText(n: CelJsNode): string {
  const a = n.args;
  const node = (x: unknown): string => celJsText(x as CelJsNode);
  const nodes = (x: unknown): string => (x as CelJsNode[]).map(node).join(',');
  switch (n.op) {
    case 'value':
      return literalText(a);
    case 'id':
      return a as string;
    case '.':
    case '.?': {
      const [operand, field] = a as [CelJsNode, string];
      return `${n.op}(${celJsText(operand)},${field})`;
    }
    case 'call': {
      const [fn, args] = a as [string, CelJsNode[]];
      return `call:${fn}(${nodes(args)})`;
    }
    case 'rcall': {
      const [fn, target, args] = a as [string, CelJsNode, CelJsNode[]];
      return `rcall:${fn}(${celJsText(target)};${nodes(args)})`;
    }
    case 'list':
      return `list(${nodes(a)})`;
    case 'map':
      return `map(${(a as [CelJsNode, CelJsNode][]).map(([k, v]) => `${celJsText(k)}:${celJsText(v)}`).join(',')})`;
    case '!_':
    case '-_':
      return `${n.op}(${node(a)})`;
    default:
      return `${n.op}(${nodes(a)})`;
  }
}

/** runtime/native/cel-parse.ts tree as the same canonical text. */
function ownText(n: CelNode): string {
  switch (n.kind) {
    case 'literal': {
      const l = n.literal;
      if (l.type === 'string') return literalText(l.value);
      if (l.type === 'int') return `i${BigInt(l.value)}`;
      if (l.type === 'uint') return `u${BigInt(l.value)}`;
      if (l.type === 'double') return `d${Number(l.value)}`;
      return l.type === 'null' ? 'null' : String(l.value);
    }
    case 'ident':
      return n.name;
    case 'select': {
      const s = `${n.optional ? '.?' : '.'}(${ownText(n.operand)},${n.field})`;
      return n.test ? `call:has(${s})` : s;
    }
    case 'index':
      return `${n.optional ? '[?]' : '[]'}(${ownText(n.operand)},${ownText(n.index)})`;
    case 'call':
      if (n.fn.startsWith('optional.')) return `rcall:${n.fn.slice(9)}(optional;${n.args.map(ownText).join(',')})`;
      return n.target === undefined ? `call:${n.fn}(${n.args.map(ownText).join(',')})` : `rcall:${n.fn}(${ownText(n.target)};${n.args.map(ownText).join(',')})`;
    case 'macro':
      return `rcall:${n.macro}(${ownText(n.range)};${[n.iterVar, ...n.args.map(ownText)].join(',')})`;
    case 'list':
      return `list(${n.items.map(ownText).join(',')})`;
    case 'map':
      return `map(${n.entries.map(([k, v]) => `${ownText(k)}:${ownText(v)}`).join(',')})`;
    case 'op':
      return n.args.length === 1 ? `${n.op}_(${ownText(n.args[0])})` : `${n.op}(${n.args.map(ownText).join(',')})`;
  }
}

function expectSameTree(expression: string): void {
  expect(ownText(parseCel(expression)), expression.slice(0, 200)).toBe(celJsText(celJs.parse(expression).ast as unknown as CelJsNode));
}

/** As synth compiles them: with the bundle's Pod defaults (`podDefaults`) when given. */
function generated(policies: readonly Policy[], podDefaults?: readonly Policy[]): { policy: Policy; objects: NativeObjects }[] {
  return policies.flatMap((policy) => {
    const objects = compileForTest(policy, podDefaults).objects;
    return objects === undefined ? [] : [{ policy, objects }];
  });
}

const referenceObjects = generated(bundle.policies, bundle.policies);

describe('CEL parser of the limit check (runtime/native/cel-parse.ts)', () => {
  it('reads precedence, literals, escapes, macros and optional syntax as cel-js does', () => {
    for (const e of [
      'a || b && c == d + e * -f % g',
      'a ? b : c ? d : e',
      '!!a && !(b in [1, 2u, 3.5, 0x1F, 1e3]) && -x < 2',
      '"\\u00e9\\\\\\"\\n" + \'it\\\'s\' + r"\\d+" + "\\x41\\101"',
      'has(a.b) && x.map(c, c.n).filter(y, y > 1u).all(z, z.exists_one(w, w)) && l.map(v, v > 0, v * 2).exists(k, k)',
      'optional.of(1).orValue(2) + optional.none().orValue(3)',
      'a.?b.?c[?0].orValue({"k": [1, 2,], "j": {}})',
      'object.spec.containers[0].image.split("/").join("//")',
    ]) {
      expectSameTree(e);
    }
  });

  it('reads every expression generated for the reference bundle as cel-js does', () => {
    let count = 0;
    for (const { objects } of referenceObjects) {
      for (const e of expressionsOf(objects)) {
        expectSameTree(e);
        count += 1;
      }
    }
    expect(count).toBeGreaterThan(20);
  });

  it('reads every expression generated for fast-check policies as cel-js does', () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        for (const { objects } of generated([policy])) for (const e of expressionsOf(objects)) expectSameTree(e);
      }),
      { numRuns: 150 },
    );
  });
});

describe('cost estimate (runtime/native/cost.ts)', () => {
  const costOf = (expression: string, envelope: Envelope = ENVELOPE): number =>
    estimatePolicy({ policy: { spec: { variables: [{ name: 'x', expression }] } }, binding: {} }, envelope).totalCost;

  it('gives the runtime costs cel-go documents for constant inputs (interpreter/runtimecost_test.go)', () => {
    // [expression, cel-go's actual runtime cost]: every estimate is at least the actual cost, most are equal.
    const exact: [string, number][] = [
      ['[1, 2, 3]', 10],
      ['{"a": 1, "b": 2, "c": 3}', 30],
      ['2 in [1, 2, 3]', 13],
      ['1 < 2', 1],
      ['1 + 1', 1],
      ['1 % 1', 1],
      ['true ? 1 : 2', 0],
      ['size("123")', 1],
      ["'12345678901234567890' == '123456789012345678901234567890'", 2],
      ['string(1)', 1],
      ["'123'.matches('[0-9]')", 2],
      ['(1 > 2 ? 5 : 3) > 1', 2],
      ['(1 > 2 || 2 > 1) == true', 3],
    ];
    for (const [e, cost] of exact) expect(costOf(e), e).toBe(cost);
    // cel-go: 20 and 77. The estimate counts the loop condition of every element (no short circuit).
    expect(costOf('[1, 2, 3].all(x, true)')).toBeGreaterThanOrEqual(20);
    expect(costOf("[{'k1': 1}, {'k2': 2}].all(x, true)")).toBeGreaterThanOrEqual(77);
  });

  it('sizes values read from the object by the envelope (cel-go: input.matches("[0-9]") on 500 characters costs 103)', () => {
    const envelope = { ...ENVELOPE, otherStringBytes: 500 };
    // cel-go's 103 reads `input` (1); `object.input` reads a variable and a field (2).
    expect(costOf('object.input.matches("[0-9]")', envelope)).toBe(104);
    // cel-go: "abcdefg".contains(str1 + str2) with 4 and 10 characters costs 6 (2 reads, 2 concatenation, 1 × 2 contains).
    expect(costOf('"abcdefg".contains(object.a + object.b)', { ...ENVELOPE, otherStringBytes: 7 })).toBe(4 + 2 + 2);
    // Kubernetes validation bounds label values at 63 characters: ⌈64 × 0.1⌉ × ⌈8 × 0.25⌉.
    expect(costOf('object.metadata.labels["a"].matches("^[a-z]+$")')).toBe(4 + 7 * 2);
    // A comprehension over the containers of each list the envelope allows.
    const perContainer = costOf('object.spec.containers.map(c, c.name)', { ...ENVELOPE, containers: 1 }) - costOf('object.spec.containers.map(c, c.name)', { ...ENVELOPE, containers: 0 });
    expect(perContainer).toBe(2 + 13);
  });

  it('bounds the pieces of a split by their summed size (n·f(1) + f(E), not n·f(E))', () => {
    const envelope = { ...ENVELOPE, otherStringBytes: 1000 };
    const pieces = costOf('object.p.split("/").exists(s, s.matches("^[a-z]+$"))', envelope);
    // 1001 pieces of one character, or one of 1000: far below 1001 × ⌈1001 × 0.1⌉ × 2.
    expect(pieces).toBeLessThan(20_000);
    expect(pieces).toBeGreaterThan(1001 * 2);
  });

  it('computes nesting depth (cel-go balances && and || chains) and comprehension depth', () => {
    const report = (e: string) => estimatePolicy({ policy: { spec: { variables: [{ name: 'x', expression: e }] } }, binding: {} }).expressions[0];
    expect(report('a + b + c + d').nestingDepth).toBe(4);
    expect(report('a && b && c && d && e && f && g && h').nestingDepth).toBe(4);
    expect(report('((a))').nestingDepth).toBe(3);
    expect(report('l.map(x, x.filter(y, y.all(z, true)))').comprehensionDepth).toBe(3);
    expect(report('"é"').length).toBe(3);
  });
});

describe('generated policies within the limits Kubernetes enforces', () => {

  it('every policy generated for the reference bundle is accepted by Kubernetes, within every limit unless it compiled a whole podSecurity rule (and no rule was refused for one)', () => {
    let largest = { cost: 0, length: 0, depth: 0, total: 0 };
    let pssCost = 0;
    for (const { policy, objects } of referenceObjects) {
      const problems = checkLimits(objects);
      expect(problems.filter((p) => ACCEPTANCE_LIMITS.includes(p.limit)), policy.name).toEqual([]);
      const r = estimatePolicy(objects);
      // The whole-level podSecurity rule's worst-case runtime cost estimate exceeds the per-expression
      // limit (cost.ts REFUSED_AT_SYNTH: reported, not refused at synth), as for fast-check policies below.
      if (policy.rules.some((x) => x.type === 'podSecurity')) {
        pssCost = Math.max(pssCost, ...r.expressions.map((e) => e.cost));
        expect(problems.filter((p) => p.limit !== 'perExpressionCost' && p.limit !== 'perEvaluationCost'), policy.name).toEqual([]);
        largest = { ...largest, length: Math.max(largest.length, ...r.expressions.map((e) => e.length)), depth: Math.max(largest.depth, ...r.expressions.map((e) => e.nestingDepth)) };
        continue;
      }
      expect(problems, policy.name).toEqual([]);
      largest = {
        cost: Math.max(largest.cost, ...r.expressions.map((e) => e.cost)),
        length: Math.max(largest.length, ...r.expressions.map((e) => e.length)),
        depth: Math.max(largest.depth, ...r.expressions.map((e) => e.nestingDepth)),
        total: Math.max(largest.total, r.totalCost),
      };
    }
    for (const p of bundle.policies) {
      for (const r of compileForTest(p, bundle.policies).results) if (r.kind === 'notExpressible') expect(r.reason).not.toMatch(/limit Kubernetes enforces/);
    }
    expect(referenceObjects.length).toBeGreaterThanOrEqual(3);
    expect(largest.cost).toBeLessThanOrEqual(L.perExpressionCost);
    expect(largest.total).toBeLessThanOrEqual(L.perEvaluationCost);
    expect(largest.length).toBeLessThanOrEqual(L.expressionCodePoints);
    expect(largest.depth).toBeLessThanOrEqual(L.parserRecursionDepth);
    console.info(`reference set: largest expression estimate ${largest.cost} (pod-security: ${pssCost}), largest policy total ${largest.total}, longest expression ${largest.length} code points, deepest nesting ${largest.depth}`);
  });

  it('every policy generated for fast-check policies is accepted by Kubernetes, and within the cost limits unless it compiled a whole podSecurity rule', () => {
    let compiled = 0;
    let largest = 0;
    let pss = 0;
    fc.assert(
      fc.property(policyArb, (policy) => {
        const c = compileForTest(policy);
        for (const r of c.results) {
          if (r.kind === 'notExpressible' && CHECKED_FAMILIES.includes(r.ruleType)) expect(r.reason, `${r.rule}`).not.toMatch(/limit Kubernetes enforces/);
        }
        if (c.objects === undefined) return;
        compiled += 1;
        const problems = checkLimits(c.objects);
        expect(problems.filter((p) => ACCEPTANCE_LIMITS.includes(p.limit))).toEqual([]);
        if (c.results.some((r) => r.kind === 'compiled' && r.ruleType === 'podSecurity')) pss += 1;
        else expect(problems).toEqual([]);
        largest = Math.max(largest, ...estimatePolicy(c.objects).expressions.map((e) => e.cost));
      }),
      { numRuns: 200 },
    );
    expect(compiled).toBeGreaterThan(100);
    expect(largest).toBeGreaterThan(1000);
    console.info(`fast-check: ${compiled} policies emitted (${pss} with a whole podSecurity rule), largest expression estimate ${largest}`);
  });

  it('refuses at synth every limit that makes the API server refuse the policy itself', () => {
    expect([...REFUSED_AT_SYNTH].sort()).toEqual(expect.arrayContaining(['expressionCodePoints', 'parserRecursionDepth', 'unknownFunction', 'unreadable']));
  });
});

describe('oversized policies are refused, naming the limit and the estimate', () => {
  const labels = (n: number): Rule => ({ name: 'many-labels', type: 'requireLabels', target: POD_TARGET, labels: Array.from({ length: n }, (_, i) => ({ key: `label-${i}` })) });
  const base: Policy = {
    name: 'oversized',
    mode: 'Enforce',
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    controllers: [],
    match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
    rules: [],
    exemptions: [],
  };

  it('refuses a rule whose expression exceeds the length and nesting limits, and keeps the policy’s other rules', () => {
    const policy: Policy = { ...base, rules: [{ name: 'no-host', type: 'hostNamespaces', target: POD_TARGET, deny: ['hostPID'] }, labels(1000)] };
    const c = compileForTest(policy);
    expect(c.results.map((r) => r.kind)).toEqual(['compiled', 'notExpressible']);
    const reason = c.results[1].kind === 'notExpressible' ? c.results[1].reason : '';
    expect(reason).toMatch(/limit Kubernetes enforces/);
    expect(reason).toMatch(/code points, over the API server's limit of 100,000 per expression/);
    expect(reason).toMatch(/nests \d+ deep, over the CEL parser's recursion limit of 250/);
    // The remaining policy holds only the compiled rule, within the limits.
    expect(c.objects).toBeDefined();
    expect(checkLimits(c.objects as NativeObjects)).toEqual([]);
    expect(expressionsOf(c.objects as NativeObjects).some((e) => e.includes('label-1'))).toBe(false);
  });

  it('refuses a rule whose worst-case cost exceeds the per-expression limit', () => {
    const allowed = Array.from({ length: 120 }, (_, i) => `registry-${i}.example.com/team-${i}/**`);
    const policy: Policy = { ...base, rules: [{ name: 'registries', type: 'allowedRegistries', target: POD_TARGET, allowed }] };
    // Within the default envelope (one container) it fits; a Pod of 30 containers would not.
    expect(withinLimits(compileForTest(policy), ALL_LIMITS).results[0].kind).toBe('compiled');
    const [result] = withinLimits(compileForTest(policy), ALL_LIMITS, { ...ENVELOPE, containers: 30 }).results;
    expect(result.kind).toBe('notExpressible');
    expect(result.kind === 'notExpressible' && result.reason).toMatch(/estimated worst-case cost of [\d,]+, over the API server's per-expression limit of 1,000,000/);
  });

  it('drops the dearest rules when only the per-evaluation budget is exceeded', () => {
    const objects = compileForTest({ ...base, rules: [{ name: 'digest', type: 'requireDigest', target: POD_TARGET }] }).objects as NativeObjects;
    // Eleven copies of a rule: each within the per-expression limit, together over the budget.
    const policy = structuredClone(objects.policy) as { spec: { variables: { name: string; expression: string }[]; validations: { expression: string; messageExpression: string }[] } };
    const rule = policy.spec.variables.filter((v) => !v.name.endsWith('_message')).at(-1) as { name: string; expression: string };
    const [validation] = policy.spec.validations;
    const each = estimatePolicy(objects).expressions.filter((e) => e.variable === rule.name).reduce((a, e) => a + e.cost, 0);
    const copies = Math.floor(L.perEvaluationCost / each) + 1;
    for (let i = 1; i < copies; i += 1) {
      const name = `${rule.name}_${i}`;
      policy.spec.variables.push({ name, expression: rule.expression });
      // Its message variable (compile.ts: `<rule>_message`), joined from the copy.
      const message = policy.spec.variables.find((v) => v.name === `${rule.name}_message`);
      if (message !== undefined) policy.spec.variables.push({ name: `${name}_message`, expression: message.expression.split(rule.name).join(name) });
      policy.spec.validations.push({ ...validation, expression: validation.expression.split(rule.name).join(name), messageExpression: validation.messageExpression.split(rule.name).join(name) });
    }
    const results = Array.from({ length: copies }, (_, i) => ({ kind: 'compiled' as const, policy: 'oversized', rule: `digest-${i}`, ruleType: 'requireDigest' as const }));
    const big: NativeObjects = { policy: policy, binding: objects.binding };
    expect(checkLimits(big).map((p) => p.limit)).toEqual(['perEvaluationCost']);
    const within = withinLimits({ policy: 'oversized', results, objects: big }, ALL_LIMITS);
    const refused = within.results.filter((r) => r.kind === 'notExpressible');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0].kind === 'notExpressible' && refused[0].reason).toMatch(/total cost of [\d,]+, over the API server's budget of 10,000,000 per policy evaluation/);
    expect(checkLimits(within.objects as NativeObjects)).toEqual([]);
  });
});
