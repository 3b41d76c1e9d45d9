/**
 * The limits the Kubernetes API server (1.30+) applies to the CEL of a ValidatingAdmissionPolicy,
 * and a static worst-case check of generated policies against them (checkLimits). compile.ts runs
 * withinLimits on every policy it emits: a rule whose CEL the API server would refuse (too long,
 * too deeply nested, unreadable) becomes `notExpressible` naming the limit (hybrid keeps it on the
 * webhook, native refuses synth); the runtime cost estimates are reported and tested, and refused
 * too once REFUSED_AT_SYNTH includes them. Pure; no CEL implementation needed (cel-parse.ts).
 *
 * The limits (sources: kubernetes/kubernetes at the 1.30–1.33 releases, google/cel-go):
 * - Parse: at most 100,000 code points per expression and a parser recursion depth of 250
 *   (cel-go parser/parser.go `NewParser` defaults: expressionSizeCodePointLimit 100_000,
 *   maxRecursionDepth 250; Kubernetes sets neither: staging/src/k8s.io/apiserver/pkg/cel/environment/
 *   base.go and environment.go pass no parser options). Over them, creating the policy fails.
 * - Compile: every expression is type-checked with `object`/`oldObject` as `dyn`
 *   (staging/src/k8s.io/apiserver/pkg/admission/plugin/cel/compile.go `createEnvForOpts`), regex
 *   literals must compile (base.go 1.29+: `cel.ValidateRegexLiterals`), list/map literals must be
 *   homogeneous (`cel.HomogeneousAggregateLiterals`). There is NO static cost check for a
 *   ValidatingAdmissionPolicy: compile.go never calls EstimateCost (only CRD validation rules have
 *   StaticEstimatedCostLimit), and with `object` typed `dyn` the cel-go estimator (checker/cost.go)
 *   would size every value read from it as unknown, [0, MaxUint64], so any comprehension over the
 *   object would estimate at MaxUint64. Nor a limit on the number of variables or validations
 *   (pkg/apis/admissionregistration/validation/validation.go: only matchConditions ≤ 64 and
 *   auditAnnotations ≤ 20), nor a comprehension nesting limit (Kubernetes does not enable cel-go's
 *   `ValidateComprehensionNestingLimit`).
 * - Runtime, per expression: 1,000,000 cost units per evaluation (`PerCallLimit`,
 *   staging/src/k8s.io/apiserver/pkg/apis/cel/config.go, applied as `cel.CostLimit` in base.go).
 *   Each variable is its own evaluation (composition.go `variableAccessor.Callback`).
 * - Runtime, per policy evaluation: 10,000,000 cost units shared by every variable, validation and
 *   messageExpression evaluated for one binding (`RuntimeCELCostBudget`, config.go; filter.go and
 *   condition.go subtract each expression's actual cost from the remaining budget).
 *   Over either, evaluation stops with an error and the policy's failurePolicy decides.
 * - A messageExpression result longer than 5 KiB is not used (`MaxEvaluatedMessageExpressionSizeBytes`,
 *   config.go): the message falls back to the validation's expression (data-dependent; see README).
 *
 * The estimate. Actual runtime cost is what Kubernetes limits, so the estimate mirrors the runtime
 * cost tracker (cel-go interpreter/runtimecost.go, plus Kubernetes' library cost estimator,
 * staging/src/k8s.io/apiserver/pkg/cel/library/cost.go, which `StrictCostEnforcementForVAP` applies
 * to the extension libraries; assumed on, as it costs more): an identifier or field selection 1, a
 * function call or operator 1, a list literal 10, a map literal 30, a constant 0; string
 * concatenation, equality and ordering ⌈size × 0.1⌉; `startsWith`, `endsWith`, `indexOf`,
 * `lastIndexOf`, `lowerAscii`, `substring`, `trim` ⌈size × 0.1⌉; `split`, `replace` ⌈size × 0.2⌉,
 * `join` ⌈result × 0.2⌉; `contains` ⌈size × 0.1⌉ × ⌈sub × 0.1⌉; `matches`, `find`
 * ⌈(size + 1) × 0.1⌉ × ⌈regex × 0.25⌉; `x in list` the list's size; `?:` the condition plus the
 * dearer branch; a comprehension its range times (loop condition + step, as the macro expands:
 * `map` appends a one-element list, 10 + 3 per element). Each value's size is bounded from
 * literals, from what it is derived of (substring ≤ string, concatenation = sum, split ≤ size + 1
 * pieces, map/filter ≤ range) and, for values read from the admitted object, from the Kubernetes
 * validation limits where they exist and the ENVELOPE below where they do not. Every bound is an
 * upper bound, so the estimate is a worst case for every object within the envelope.
 */
import type { CompiledPolicy, NativeObjects, NativeRuleResult } from './compile';
import { children, parseCel, type CelNode } from './cel-parse';

/** The API server's limits (see the module documentation for the sources). */
export const KUBERNETES_CEL_LIMITS = {
  /** cel-go parser default expressionSizeCodePointLimit (Kubernetes sets none). */
  expressionCodePoints: 100_000,
  /** cel-go parser default maxRecursionDepth (Kubernetes sets none). */
  parserRecursionDepth: 250,
  /** k8s.io/apiserver/pkg/apis/cel PerCallLimit: one evaluation of one expression. */
  perExpressionCost: 1_000_000,
  /** k8s.io/apiserver/pkg/apis/cel RuntimeCELCostBudget: all expressions of one policy evaluation. */
  perEvaluationCost: 10_000_000,
  /** k8s.io/apiserver/pkg/apis/cel MaxEvaluatedMessageExpressionSizeBytes. */
  messageBytes: 5 * 1024,
} as const;

/**
 * The object sizes the estimate assumes where Kubernetes validation sets no bound (it bounds the
 * request at 3 MiB only, k8s.io/apiserver/pkg/apis/cel MaxRequestSizeBytes, which bounds nothing
 * useful: a 3 MiB Pod of empty containers has some 250,000 of them). ENVELOPE is the smallest
 * ordinary Pod — one container, a few volumes, mounts, ports and capabilities, strings of ordinary
 * length — so a rule refused for cost could not run natively even on it. Larger Pods cost more:
 * the README gives the estimate per container; beyond what a policy can afford, the API server
 * stops the evaluation and the policy's failurePolicy decides (Fail: the request is denied).
 */
export interface Envelope {
  /** Entries of `containers`. */
  containers: number;
  /** Entries of `initContainers`. */
  initContainers: number;
  /** Entries of `ephemeralContainers` (none on CREATE: `kubectl debug` adds them later). */
  ephemeralContainers: number;
  /** Entries of `volumes`. */
  volumes: number;
  /** Entries of a container's `volumeMounts`. */
  volumeMountsPerContainer: number;
  /** Entries of a container's `ports`. */
  portsPerContainer: number;
  /** Entries of each capabilities list (`add`, `drop`; Linux has 41 capabilities). */
  capabilities: number;
  /** Bytes of a capability name (the longest Linux name, CHECKPOINT_RESTORE, has 18). */
  capabilityBytes: number;
  /** Entries of any other list, or map, read from the object (labels, annotations…). */
  otherEntries: number;
  /**
   * Bytes of a container's `image`. A reference the engine accepts has at most 510 characters
   * (runtime/engine/image-ref.ts); one pinned by digest, as the reference set requires, is
   * typically 100 to 200 (registry/repository, `@sha256:` and 64 hex digits).
   */
  imageBytes: number;
  /** Bytes of a hostPath `path`. */
  hostPathBytes: number;
  /** Bytes of any other string field without a validation bound. */
  otherStringBytes: number;
  /** Serialized bytes of one object read from a list (a volume mount…), for functions that traverse it (`indexOf`). */
  objectBytes: number;
}

export const ENVELOPE: Envelope = {
  containers: 1,
  initContainers: 0,
  ephemeralContainers: 0,
  volumes: 4,
  volumeMountsPerContainer: 4,
  portsPerContainer: 8,
  capabilities: 8,
  capabilityBytes: 32,
  otherEntries: 16,
  imageBytes: 200,
  hostPathBytes: 256,
  otherStringBytes: 1024,
  objectBytes: 512,
};

/**
 * String bounds Kubernetes validation does set (k8s.io/apimachinery/pkg/util/validation): label
 * values 63 (IsValidLabelValue), label and annotation keys 253 + 1 + 63 (IsQualifiedName),
 * annotations 256 KiB in total (TotalAnnotationSizeLimitB), names at most 253 (DNS-1123 subdomain),
 * container and volume names 63 (DNS-1123 label, k8s.io/kubernetes pkg/apis/core/validation), namespaces 63; request.kind.kind and
 * request.operation are API kinds and verbs (63 is generous).
 */
const VALIDATED_STRINGS = { label: 63, labelValue: 63, qualifiedName: 317, annotations: 256 * 1024, name: 253, namespace: 63, kind: 63, operation: 16 } as const;

// ---- abstract values -------------------------------------------------------------------------------

/** One possible value: a shape with bounded sizes. A Shape is a union of alternatives. */
type Alt =
  | { t: 'scalar' }
  /**
   * `esc`: the string is a base string of at most `base` bytes whose characters were replaced one by
   * one (replace-all of single characters) by at most `ratio` bytes made only of `inserted`.
   */
  | { t: 'str'; n: number; esc?: Escaped }
  /**
   * `total`: when known, a bound on the summed sizes of the (string) elements; `sep`: they were cut
   * from one string at separators of this many bytes (a split), so pieces plus separators fit in `total`;
   * `src`: that string's size, for the replace-all idiom `s.split(a).join(b)`.
   */
  | { t: 'list'; n: number; e: Shape; total?: number; sep?: number; src?: number; srcEsc?: Escaped }
  | { t: 'map'; n: number; v: Shape }
  | { t: 'opt'; of: Shape }
  /** A dyn value read from the request at this path (`object`, `oldObject`, `request`). */
  | { t: 'obj'; path: string[] };

type Shape = readonly Alt[];

interface Escaped {
  base: number;
  ratio: number;
  inserted: string;
}

const SCALAR: Shape = [{ t: 'scalar' }];
const str = (n: number): Shape => [{ t: 'str', n }];

function union(...shapes: Shape[]): Shape {
  const out: Alt[] = [];
  let s = -1;
  let esc: Escaped | undefined;
  let strings = 0;
  let scalar = false;
  const lists: Extract<Alt, { t: 'list' }>[] = [];
  const maps: Extract<Alt, { t: 'map' }>[] = [];
  const opts: Shape[] = [];
  const paths = new Map<string, string[]>();
  for (const a of shapes.flat()) {
    if (a.t === 'scalar') scalar = true;
    else if (a.t === 'str') {
      s = Math.max(s, a.n);
      strings += 1;
      esc = a.esc;
    } else if (a.t === 'list') lists.push(a);
    else if (a.t === 'map') maps.push(a);
    else if (a.t === 'opt') opts.push(a.of);
    else paths.set(a.path.join('\u0000'), a.path);
  }
  if (scalar) out.push({ t: 'scalar' });
  if (s >= 0) out.push(strings === 1 && esc !== undefined ? { t: 'str', n: s, esc } : { t: 'str', n: s });
  if (lists.length > 0) {
    const totals = lists.map((l) => l.total);
    const list: Alt = { t: 'list', n: Math.max(...lists.map((l) => l.n)), e: union(...lists.map((l) => l.e)) };
    if (totals.every((x): x is number => x !== undefined)) {
      list.total = Math.max(...totals);
      const seps = lists.map((l) => l.sep);
      if (seps.every((x): x is number => x !== undefined)) list.sep = Math.min(...seps);
    }
    out.push(list);
  }
  if (maps.length > 0) out.push({ t: 'map', n: Math.max(...maps.map((m) => m.n)), v: union(...maps.map((m) => m.v)) });
  if (opts.length > 0) out.push({ t: 'opt', of: union(...opts) });
  for (const p of paths.values()) out.push({ t: 'obj', path: p });
  return out;
}

interface Context {
  envelope: Envelope;
  /** Shapes of the policy's variables declared so far. */
  variables: Map<string, Shape>;
  /** Comprehension variables in scope. */
  locals: Map<string, Shape>;
  /** Functions the estimate does not know (costed 1, value unbounded). */
  unknown: Set<string>;
}

/** Field names of the path, iteration markers dropped. */
function fieldsOf(path: readonly string[]): string[] {
  return path.filter((p) => !p.startsWith('@'));
}

function objString(path: readonly string[], env: Envelope): number {
  const f = fieldsOf(path);
  const last = path[path.length - 1];
  const parent = f[f.length - 1];
  if (path[0] === 'request') {
    if (parent === 'operation') return VALIDATED_STRINGS.operation;
    if (parent === 'namespace') return VALIDATED_STRINGS.namespace;
    if (parent === 'kind' || parent === 'group' || parent === 'version' || parent === 'resource' || parent === 'subResource') return VALIDATED_STRINGS.name;
  }
  if (last === '@keys' && (parent === 'labels' || parent === 'annotations')) return VALIDATED_STRINGS.qualifiedName;
  if (parent === 'labels' && last === '@values') return VALIDATED_STRINGS.labelValue;
  // Annotations may total 256 KiB, which one value may take; the envelope's Pod keeps each to ordinary strings.
  if (parent === 'annotations' && last === '@values') return Math.min(VALIDATED_STRINGS.annotations, env.otherStringBytes);
  if (last === 'name') return ['containers', 'initContainers', 'ephemeralContainers', 'volumes'].includes(f[f.length - 2]) ? VALIDATED_STRINGS.label : VALIDATED_STRINGS.name;
  if (last === 'namespace') return VALIDATED_STRINGS.namespace;
  if (last === 'image') return env.imageBytes;
  if (last === '@items' && (parent === 'add' || parent === 'drop') && f[f.length - 2] === 'capabilities') return env.capabilityBytes;
  if (last === 'path' && parent === 'path' && f[f.length - 2] === 'hostPath') return env.hostPathBytes;
  return env.otherStringBytes;
}

/** Entries of a list (or map) read from the object at this path. */
function objListLength(path: readonly string[], env: Envelope): number {
  const last = path[path.length - 1];
  if (last === 'containers' || last === 'initContainers' || last === 'ephemeralContainers') return env[last];
  if (last === 'volumes') return env.volumes;
  if (last === 'volumeMounts') return env.volumeMountsPerContainer;
  if (last === 'ports') return env.portsPerContainer;
  if ((last === 'add' || last === 'drop') && path[path.length - 2] === 'capabilities') return env.capabilities;
  return env.otherEntries;
}

/** The largest `size()` of a value of this shape (string code points ≤ bytes, list or map entries). */
function sizeOf(s: Shape, env: Envelope): number {
  let n = 0;
  for (const a of s) {
    if (a.t === 'scalar') n = Math.max(n, 1);
    else if (a.t === 'str' || a.t === 'list' || a.t === 'map') n = Math.max(n, a.n);
    else if (a.t === 'opt') n = Math.max(n, sizeOf(a.of, env));
    else n = Math.max(n, objString(a.path, env), objListLength(a.path, env));
  }
  return n;
}

/** The largest string this value can be (0 when it cannot be a string). */
function stringSize(s: Shape, env: Envelope): number {
  let n = 0;
  for (const a of s) {
    if (a.t === 'str') n = Math.max(n, a.n);
    else if (a.t === 'obj') n = Math.max(n, objString(a.path, env));
  }
  return n;
}

function elementOf(s: Shape, env: Envelope): Shape {
  const out: Shape[] = [];
  for (const a of s) {
    if (a.t === 'list') out.push(a.e);
    else if (a.t === 'map') out.push(a.v);
    else if (a.t === 'obj') out.push([{ t: 'obj', path: [...a.path, '@items'] }]);
    else if (a.t === 'opt') out.push(elementOf(a.of, env));
  }
  return union(...out);
}

function listLength(s: Shape, env: Envelope): number {
  let n = 0;
  for (const a of s) {
    if (a.t === 'list' || a.t === 'map') n = Math.max(n, a.n);
    else if (a.t === 'obj') n = Math.max(n, objListLength(a.path, env));
  }
  return n;
}

function selectOf(s: Shape, field: string, env: Envelope): Shape {
  const out: Shape[] = [];
  for (const a of s) {
    if (a.t === 'map') out.push(a.v);
    else if (a.t === 'obj') {
      const parent = a.path[a.path.length - 1];
      out.push([{ t: 'obj', path: parent === 'labels' || parent === 'annotations' ? [...a.path, '@values'] : [...a.path, field] }]);
    } else if (a.t === 'opt') out.push(selectOf(a.of, field, env));
  }
  return union(...out);
}

function indexOf(s: Shape, env: Envelope): Shape {
  const out: Shape[] = [];
  for (const a of s) {
    if (a.t === 'list') out.push(a.e);
    else if (a.t === 'map') out.push(a.v);
    else if (a.t === 'obj') {
      const parent = a.path[a.path.length - 1];
      out.push([{ t: 'obj', path: [...a.path, parent === 'labels' || parent === 'annotations' ? '@values' : '@items'] }]);
    } else if (a.t === 'opt') out.push(indexOf(a.of, env));
  }
  return union(...out);
}

function unwrap(s: Shape): Shape {
  return union(...s.map((a) => (a.t === 'opt' ? a.of : [a])));
}

const tenth = (n: number): number => Math.ceil(n * 0.1);

/** Cost of traversing a value as a data tree (library/cost.go traversalCost): 0.1 per string byte, 1 per scalar. */
function traversal(s: Shape, env: Envelope): number {
  let n = 0;
  for (const a of s) {
    if (a.t === 'scalar') n = Math.max(n, 1);
    else if (a.t === 'str') n = Math.max(n, tenth(a.n));
    else if (a.t === 'list') n = Math.max(n, a.n * traversal(a.e, env));
    else if (a.t === 'map') n = Math.max(n, a.n * (tenth(VALIDATED_STRINGS.qualifiedName) + traversal(a.v, env)));
    else if (a.t === 'opt') n = Math.max(n, traversal(a.of, env));
    else {
      const last = a.path[a.path.length - 1];
      // One object of a list, or a list of them, read from the request.
      n = Math.max(n, last === '@items' ? tenth(env.objectBytes) : objListLength(a.path, env) * tenth(env.objectBytes), tenth(objString(a.path, env)));
    }
  }
  return n;
}

interface Estimate {
  cost: number;
  shape: Shape;
}

/** Cost of a comprehension's loop (runtime/native cost model; see the module documentation). */
function comprehension(n: Extract<CelNode, { kind: 'macro' }>, ctx: Context): Estimate {
  const env = ctx.envelope;
  const range = estimate(n.range, ctx);
  const count = listLength(range.shape, env);
  const element = elementOf(range.shape, env);
  const body = (local: Shape): Estimate[] => {
    const saved = ctx.locals.get(n.iterVar);
    ctx.locals.set(n.iterVar, local);
    const out = n.args.map((a) => estimate(a, ctx));
    if (saved === undefined) ctx.locals.delete(n.iterVar);
    else ctx.locals.set(n.iterVar, saved);
    return out;
  };
  const parts = body(element);
  const sum = parts.reduce((acc, p) => acc + p.cost, 0);
  // Strings whose summed size is bounded (the pieces of a split): one element may be as large as
  // the whole, the others are then small. Per-element costs are sums of ⌈a·size + b⌉ terms (times
  // constants), so over elements of sizes s1…sn with Σ ≤ total ≤ the largest element E:
  // Σ f(si) ≤ n·f(1) + f(E) (each ⌈⌉ adds at most one per element, which f(1) counts).
  const totals = range.shape.map((a) => (a.t === 'list' ? a.total : undefined));
  const bounded = totals.length > 0 && totals.every((x) => x !== undefined) && element.every((a) => a.t === 'str');
  const small = bounded ? body(str(1)).reduce((acc, p) => acc + p.cost, 0) : sum;
  const iterations = (perItem: number, perSmallItem: number): number => (bounded ? count * perSmallItem + perItem : count * perItem);
  let overhead: number;
  let shape: Shape;
  switch (n.macro) {
    case 'map':
      // [accu + [f(x)]] (optionally under `p(x) ? … : accu`): accu 1, list 10, add 1, iteration variable reads counted in f
      overhead = 13;
      shape = [{ t: 'list', n: count, e: parts[parts.length - 1].shape }];
      break;
    case 'filter': {
      overhead = 14;
      // A filtered list keeps at most the range's elements (and their summed size).
      const lists = range.shape.filter((a): a is Extract<Alt, { t: 'list' }> => a.t === 'list');
      const list: Alt = { t: 'list', n: count, e: elementOf(range.shape, env) };
      if (lists.length === range.shape.length && lists.every((a) => a.total !== undefined)) {
        list.total = Math.max(...lists.map((a) => a.total ?? 0));
        if (lists.every((a) => a.sep !== undefined)) list.sep = Math.min(...lists.map((a) => a.sep ?? 0));
      }
      shape = [list];
      break;
    }
    case 'exists_one':
      overhead = 4;
      shape = SCALAR;
      break;
    default:
      // all / exists: @not_strictly_false(accu) 2 (+1 for the negation of exists), accu && p 1
      overhead = 4;
      shape = SCALAR;
  }
  // range, accumulator init (map/filter: an empty list literal, 10; all/exists: a constant), result read
  const init = n.macro === 'map' || n.macro === 'filter' ? 10 : 0;
  return { cost: range.cost + init + iterations(sum + overhead, small + overhead) + 2, shape };
}

const STRING_TRAVERSAL = new Set(['startsWith', 'endsWith', 'indexOf', 'lastIndexOf', 'lowerAscii', 'upperAscii', 'substring', 'trim', 'charAt']);

function call(n: Extract<CelNode, { kind: 'call' }>, ctx: Context): Estimate {
  const env = ctx.envelope;
  const target = n.target === undefined ? undefined : estimate(n.target, ctx);
  const args = n.args.map((a) => estimate(a, ctx));
  const base = (target?.cost ?? 0) + args.reduce((acc, a) => acc + a.cost, 0);
  const subject = target ?? args[0];
  const t = subject === undefined ? 0 : stringSize(subject.shape, env);
  const arg = (i: number): number => {
    const a = target === undefined ? args[i + 1] : args[i];
    return a === undefined ? 0 : stringSize(a.shape, env);
  };
  const result = (cost: number, shape: Shape): Estimate => ({ cost: base + cost, shape });
  switch (n.fn) {
    case 'size':
    case 'int':
    case 'hasValue':
      return result(1, SCALAR);
    case 'string':
      return result(1, union(str(Math.max(20, stringSize(subject?.shape ?? [], env)))));
    case 'contains':
      return result(Math.max(1, tenth(t) * tenth(arg(0))), SCALAR);
    case 'matches':
    case 'find':
      return result(Math.max(1, tenth(t + 1) * Math.ceil(arg(0) * 0.25)), n.fn === 'find' ? str(t) : SCALAR);
    case 'findAll':
      return result(Math.max(1, tenth(t + 1) * Math.ceil(arg(0) * 0.25)), [{ t: 'list', n: t + 1, e: str(t) }]);
    case 'split': {
      // Without a separator every character is a piece; pieces ≤ size / |separator| + 1.
      const sep = n.args[0]?.kind === 'literal' && n.args[0].literal.type === 'string' ? [...n.args[0].literal.value].length : 0;
      const pieces = sep > 0 ? Math.floor(t / sep) + 1 : t + 1;
      const from = subject?.shape.length === 1 && subject.shape[0].t === 'str' ? subject.shape[0].esc : undefined;
      return result(Math.max(1, Math.ceil(t * 0.2)), [{ t: 'list', n: pieces, e: str(t), total: t, src: t, ...(sep > 0 ? { sep } : {}), ...(from !== undefined ? { srcEsc: from } : {}) }]);
    }
    case 'replace':
      return result(Math.max(1, Math.ceil(t * 0.2)), str(arg(0) === 0 ? t * (arg(1) + 1) + arg(1) : t * Math.max(1, arg(1))));
    case 'join': {
      const list = target?.shape ?? [];
      const count = listLength(list, env);
      const lists = list.filter((a): a is Extract<Alt, { t: 'list' }> => a.t === 'list');
      const known = lists.length === list.length && lists.every((a) => a.total !== undefined);
      const total = known ? Math.max(0, ...lists.map((a) => a.total ?? 0)) : Infinity;
      let size = Math.min(count * stringSize(elementOf(list, env), env), total) + Math.max(0, count - 1) * arg(0);
      // Pieces of a split (or some of them) joined with a separator no longer than the one cut: at most the string.
      if (known && lists.every((a) => a.sep !== undefined && a.sep >= arg(0))) size = Math.min(size, total);
      // s.split(a).join(b), the replace-all idiom: every `a` becomes `b`. When `a` is one character
      // that no earlier replacement of the chain inserted, each character of the base string is
      // replaced at most once: the size stays within base × the longest replacement.
      const split = n.target;
      const cut = target?.shape.length === 1 && target.shape[0].t === 'list' ? target.shape[0] : undefined;
      const a = split?.kind === 'call' && split.fn === 'split' && split.args[0]?.kind === 'literal' && split.args[0].literal.type === 'string' ? split.args[0].literal.value : undefined;
      const b = n.args[0]?.kind === 'literal' && n.args[0].literal.type === 'string' ? n.args[0].literal.value : undefined;
      let esc: Escaped | undefined;
      if (cut?.src !== undefined && a !== undefined && a !== '' && b !== undefined) {
        const bBytes = Buffer.byteLength(b);
        size = Math.min(size, Math.ceil(cut.src * Math.max(1, bBytes / Buffer.byteLength(a))));
        if ([...a].length === 1) {
          const prior = cut.srcEsc ?? { base: cut.src, ratio: 1, inserted: '' };
          esc = prior.inserted.includes(a) ? { base: cut.src, ratio: Math.max(1, bBytes), inserted: b } : { base: prior.base, ratio: Math.max(prior.ratio, bBytes), inserted: prior.inserted + b };
          size = Math.min(size, esc.base * esc.ratio);
        }
      }
      if (esc !== undefined) return result(Math.max(1, Math.ceil(size * 0.2)), [{ t: 'str', n: size, esc }]);
      return result(Math.max(1, Math.ceil(size * 0.2)), str(size));
    }
    case 'optional.of':
      return result(1, [{ t: 'opt', of: args[0]?.shape ?? [] }]);
    case 'optional.none':
      return result(1, [{ t: 'opt', of: [] }]);
    case 'value':
      return result(1, unwrap(target?.shape ?? []));
    // Kubernetes quantity library (library/cost.go): parsing traverses the string, the rest is constant.
    case 'quantity':
    case 'isQuantity':
      return result(Math.max(1, tenth(t)), SCALAR);
    case 'sign':
    case 'asInteger':
    case 'isInteger':
    case 'asApproximateFloat':
    case 'isGreaterThan':
    case 'isLessThan':
    case 'compareTo':
    case 'add':
    case 'sub':
    // Conversions of scalars (cel-go: constant cost).
    case 'uint':
    case 'double':
    case 'bool':
    case 'type':
      return result(1, SCALAR);
    case 'dyn':
      return result(1, subject?.shape ?? []);
    case 'bytes':
      // string → bytes traverses the string (runtimecost.go StringToBytes); up to 4 bytes a code point.
      return result(Math.max(1, tenth(t)), str(4 * t));
    case 'orValue':
      return result(1, union(unwrap(target?.shape ?? []), args[0]?.shape ?? []));
    default:
      if ((n.fn === 'indexOf' || n.fn === 'lastIndexOf') && target !== undefined && stringSize(target.shape, env) === 0) {
        // On a list: Kubernetes' cost estimator traverses it (library/cost.go traversalCost).
        return result(Math.max(1, traversal(target.shape, env)), SCALAR);
      }
      if (STRING_TRAVERSAL.has(n.fn)) {
        const [from, to] = n.args.map((a) => (a.kind === 'literal' && a.literal.type === 'int' ? Number(a.literal.value) : undefined));
        // substring(a, b) with constant bounds has b - a code points (≤ 4 bytes each).
        const sub = n.fn === 'substring' && from !== undefined && to !== undefined ? Math.min(t, 4 * (to - from)) : t;
        const shape = n.fn === 'indexOf' || n.fn === 'lastIndexOf' || n.fn === 'startsWith' || n.fn === 'endsWith' ? SCALAR : str(n.fn === 'charAt' ? 4 : sub);
        return result(Math.max(1, tenth(Math.max(t, arg(0)))), shape);
      }
      ctx.unknown.add(n.fn);
      return result(1, [{ t: 'obj', path: ['?'] }]);
  }
}

function operator(n: Extract<CelNode, { kind: 'op' }>, ctx: Context): Estimate {
  const env = ctx.envelope;
  if (n.op === '?:') {
    const [c, a, b] = n.args.map((x) => estimate(x, ctx));
    return { cost: c.cost + Math.max(a.cost, b.cost), shape: union(a.shape, b.shape) };
  }
  const args = n.args.map((x) => estimate(x, ctx));
  const base = args.reduce((acc, a) => acc + a.cost, 0);
  if (n.op === '&&' || n.op === '||') return { cost: base, shape: SCALAR };
  if (args.length === 1) return { cost: base + 1, shape: SCALAR };
  const [l, r] = args;
  switch (n.op) {
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return { cost: base + Math.max(1, tenth(Math.min(sizeOf(l.shape, env), sizeOf(r.shape, env)))), shape: SCALAR };
    case 'in':
      return { cost: base + Math.max(1, listLength(r.shape, env)), shape: SCALAR };
    case '+': {
      const strings = stringSize(l.shape, env) + stringSize(r.shape, env);
      const lists = l.shape.some((a) => a.t === 'list' || a.t === 'obj') || r.shape.some((a) => a.t === 'list' || a.t === 'obj');
      const shape: Shape[] = [];
      if (strings > 0) shape.push(str(strings));
      if (lists) shape.push([{ t: 'list', n: listLength(l.shape, env) + listLength(r.shape, env), e: union(elementOf(l.shape, env), elementOf(r.shape, env)) }]);
      if (l.shape.some((a) => a.t === 'scalar')) shape.push(SCALAR);
      return { cost: base + Math.max(1, tenth(strings)), shape: union(...shape) };
    }
    default:
      return { cost: base + 1, shape: SCALAR };
  }
}

function estimate(n: CelNode, ctx: Context): Estimate {
  const env = ctx.envelope;
  switch (n.kind) {
    case 'literal':
      return { cost: 0, shape: n.literal.type === 'string' ? str(Buffer.byteLength(n.literal.value)) : SCALAR };
    case 'ident': {
      // A comprehension variable, else a root variable (object, oldObject, request, …) read as dyn.
      return { cost: 1, shape: ctx.locals.get(n.name) ?? [{ t: 'obj', path: [n.name] }] };
    }
    case 'select': {
      if (n.operand.kind === 'ident' && n.operand.name === 'variables' && !ctx.locals.has('variables')) {
        const v = ctx.variables.get(n.field);
        return { cost: 2, shape: v ?? [{ t: 'obj', path: ['variables', n.field] }] };
      }
      const o = estimate(n.operand, ctx);
      const shape = n.test ? SCALAR : selectOf(o.shape, n.field, env);
      return { cost: o.cost + 1, shape: n.optional ? [{ t: 'opt', of: shape }] : shape };
    }
    case 'index': {
      const o = estimate(n.operand, ctx);
      const i = estimate(n.index, ctx);
      const shape = indexOf(o.shape, env);
      return { cost: o.cost + i.cost + 1, shape: n.optional ? [{ t: 'opt', of: shape }] : shape };
    }
    case 'call':
      return call(n, ctx);
    case 'macro':
      return comprehension(n, ctx);
    case 'list': {
      const items = n.items.map((x) => estimate(x, ctx));
      return { cost: 10 + items.reduce((acc, x) => acc + x.cost, 0), shape: [{ t: 'list', n: items.length, e: union(...items.map((x) => x.shape)) }] };
    }
    case 'map': {
      const entries = n.entries.map(([k, v]) => [estimate(k, ctx), estimate(v, ctx)]);
      return { cost: 30 + entries.flat().reduce((acc, x) => acc + x.cost, 0), shape: [{ t: 'map', n: entries.length, v: union(...entries.map(([, v]) => v.shape)) }] };
    }
    case 'op':
      return operator(n, ctx);
  }
}

/** Depth of the tree as the parser recurses (every node and every written parenthesis counts 1). */
export function nestingDepth(n: CelNode): number {
  const kids = children(n);
  // `a && b && …` and `a || b || …` chains are balanced by cel-go's parser (parser/helper.go balancer).
  if (n.kind === 'op' && (n.op === '&&' || n.op === '||')) {
    const terms: CelNode[] = [];
    const flatten = (x: CelNode): void => {
      if (x.kind === 'op' && x.op === n.op && x.parens === 0) x.args.forEach(flatten);
      else terms.push(x);
    };
    n.args.forEach(flatten);
    return n.parens + Math.ceil(Math.log2(terms.length)) + Math.max(...terms.map(nestingDepth));
  }
  return n.parens + 1 + (kids.length === 0 ? 0 : Math.max(...kids.map(nestingDepth)));
}

/** Depth of nested comprehensions. */
export function comprehensionDepth(n: CelNode): number {
  const inner = Math.max(0, ...children(n).map(comprehensionDepth));
  return n.kind === 'macro' ? inner + 1 : inner;
}

export interface ExpressionReport {
  /** Where in the policy: `variables[3] (rule2_no_latest)`, `validations[0].expression`, … */
  where: string;
  /** Code points. */
  length: number;
  nestingDepth: number;
  comprehensionDepth: number;
  /** Worst-case runtime cost within the envelope. */
  cost: number;
  /** The variable a validation's expressions read (`size(variables.NAME) == 0`), to name the rule. */
  variable?: string;
  /** Why the limit check's parser (cel-parse.ts) could not read the expression. */
  unreadable?: string;
  /** Functions the estimate does not model (costed 1 with unbounded results). */
  unknownFunctions?: string[];
}

export interface PolicyReport {
  expressions: ExpressionReport[];
  /** Sum of every expression's cost: the worst case of one policy evaluation. */
  totalCost: number;
  /** Functions the estimator does not model, in any expression. */
  unknownFunctions: string[];
}

interface VapShape {
  variables?: { name: string; expression: string }[];
  validations?: { expression: string; messageExpression?: string }[];
}

/** Reports of recent policies (synth and tests compile the same policy many times); bounded. */
const reports = new Map<string, PolicyReport>();

/** Estimate every expression of a generated ValidatingAdmissionPolicy. */
export function estimatePolicy(objects: NativeObjects, envelope: Envelope = ENVELOPE): PolicyReport {
  const spec = (objects.policy as { spec?: VapShape }).spec ?? {};
  const key = JSON.stringify([envelope, spec.variables, spec.validations]);
  const known = reports.get(key);
  if (known !== undefined) return known;
  const report = estimateSpec(spec, envelope);
  if (reports.size >= 256) reports.clear();
  reports.set(key, report);
  return report;
}

function estimateSpec(spec: VapShape, envelope: Envelope): PolicyReport {
  const ctx: Context = { envelope, variables: new Map(), locals: new Map(), unknown: new Set() };
  const expressions: ExpressionReport[] = [];
  const one = (where: string, source: string, variable?: string): Estimate => {
    const at = { where, length: [...source].length, ...(variable !== undefined ? { variable } : {}) };
    let tree: CelNode;
    try {
      tree = parseCel(source);
    } catch (e) {
      expressions.push({ ...at, nestingDepth: 0, comprehensionDepth: 0, cost: 0, unreadable: (e as Error).message });
      return { cost: 0, shape: [{ t: 'obj', path: ['?'] }] };
    }
    const before = new Set(ctx.unknown);
    ctx.unknown.clear();
    const e = estimate(tree, ctx);
    const unknown = [...ctx.unknown].sort();
    unknown.forEach((f) => before.add(f));
    ctx.unknown = before;
    expressions.push({ ...at, nestingDepth: nestingDepth(tree), comprehensionDepth: comprehensionDepth(tree), cost: e.cost, ...(unknown.length > 0 ? { unknownFunctions: unknown } : {}) });
    return e;
  };
  (spec.variables ?? []).forEach((v, i) => {
    const e = one(`variables[${i}] (${v.name})`, v.expression, v.name);
    ctx.variables.set(v.name, e.shape);
  });
  (spec.validations ?? []).forEach((v, i) => {
    const variable = /variables\.([A-Za-z_][A-Za-z0-9_]*)/.exec(v.expression)?.[1];
    one(`validations[${i}].expression`, v.expression, variable);
    if (v.messageExpression !== undefined) one(`validations[${i}].messageExpression`, v.messageExpression, variable);
  });
  return { expressions, totalCost: expressions.reduce((acc, e) => acc + e.cost, 0), unknownFunctions: [...ctx.unknown].sort() };
}

export interface LimitProblem {
  limit: 'expressionCodePoints' | 'parserRecursionDepth' | 'perExpressionCost' | 'perEvaluationCost' | 'unreadable' | 'unknownFunction';
  /** The expression (absent for the policy-wide budget). */
  where?: string;
  /** The policy variable the expression is or reads (to name the rule). */
  variable?: string;
  message: string;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Every limit of KUBERNETES_CEL_LIMITS the generated policy would exceed (empty: none). */
export function checkLimits(objects: NativeObjects, envelope: Envelope = ENVELOPE): LimitProblem[] {
  const L = KUBERNETES_CEL_LIMITS;
  const report = estimatePolicy(objects, envelope);
  const problems: LimitProblem[] = [];
  for (const x of report.expressions) {
    const at = { where: x.where, ...(x.variable !== undefined ? { variable: x.variable } : {}) };
    if (x.unreadable !== undefined) {
      problems.push({ limit: 'unreadable', ...at, message: `${x.where} could not be read by the limit check (${x.unreadable}), so its cost is unknown` });
    }
    for (const f of x.unknownFunctions ?? []) {
      problems.push({ limit: 'unknownFunction', ...at, message: `${x.where} calls ${f}(), whose cost the limit check does not model` });
    }
    if (x.length > L.expressionCodePoints) {
      problems.push({ limit: 'expressionCodePoints', ...at, message: `${x.where} has ${fmt(x.length)} code points, over the API server's limit of ${fmt(L.expressionCodePoints)} per expression` });
    }
    if (x.nestingDepth > L.parserRecursionDepth) {
      problems.push({ limit: 'parserRecursionDepth', ...at, message: `${x.where} nests ${x.nestingDepth} deep, over the CEL parser's recursion limit of ${L.parserRecursionDepth}` });
    }
    if (x.cost > L.perExpressionCost) {
      problems.push({
        limit: 'perExpressionCost',
        ...at,
        message: `${x.where} has an estimated worst-case cost of ${fmt(x.cost)}, over the API server's per-expression limit of ${fmt(L.perExpressionCost)} (objects within the envelope of runtime/native/cost.ts)`,
      });
    }
  }
  if (report.totalCost > L.perEvaluationCost) {
    problems.push({
      limit: 'perEvaluationCost',
      message: `the policy's expressions have an estimated worst-case total cost of ${fmt(report.totalCost)}, over the API server's budget of ${fmt(L.perEvaluationCost)} per policy evaluation`,
    });
  }
  return problems;
}

interface VapSpecRules {
  variables: { name: string; expression: string }[];
  validations: { expression: string; messageExpression?: string }[];
}

/** The policy without the rules whose validations are at `drop` (their variables removed too). */
function withoutRules(objects: NativeObjects, drop: ReadonlySet<number>): NativeObjects | undefined {
  const policy = structuredClone(objects.policy) as { spec: VapSpecRules };
  const spec = policy.spec;
  const gone = new Set<string>();
  spec.validations = spec.validations.filter((v, i) => {
    if (!drop.has(i)) return true;
    const name = /variables\.([A-Za-z_][A-Za-z0-9_]*)/.exec(v.expression)?.[1];
    if (name !== undefined) gone.add(name);
    return false;
  });
  if (spec.validations.length === 0) return undefined;
  spec.variables = spec.variables.filter((v) => !gone.has(v.name));
  return { policy: policy as unknown as Record<string, unknown>, binding: objects.binding };
}

/** Every limit checkLimits reports. */
export type LimitKind = LimitProblem['limit'];

/** Limits whose excess makes the API server refuse the policy itself: never emitted. */
export const ACCEPTANCE_LIMITS: readonly LimitKind[] = ['expressionCodePoints', 'parserRecursionDepth', 'unreadable', 'unknownFunction'];

/**
 * The limits compile.ts refuses rules for. The runtime cost limits are checked and reported
 * (checkLimits, estimatePolicy; withinLimits refuses for them when asked) but not refused at synth
 * in this version: the whole-level podSecurity rule is one expression whose worst case for a
 * one-container Pod (ENVELOPE) is estimated at 1.07 million units, over the 1,000,000 limit.
 * Adding 'perExpressionCost' and 'perEvaluationCost' here turns them on.
 */
export const REFUSED_AT_SYNTH: readonly LimitKind[] = ACCEPTANCE_LIMITS;

/**
 * A compiled policy whose ValidatingAdmissionPolicy Kubernetes accepts and evaluates within its
 * limits (checkLimits, restricted to `refused`): a rule whose own expressions exceed a limit
 * becomes `notExpressible` with the limit and the estimate as reason and leaves the policy; when
 * the policy's total exceeds the per-evaluation budget, its dearest rules leave until it fits; a
 * problem in the shared variables refuses every rule. The compiled rules are in the order of the
 * policy's validations (compile.ts).
 */
export function withinLimits(compiled: CompiledPolicy, refused: readonly LimitKind[] = REFUSED_AT_SYNTH, envelope: Envelope = ENVELOPE): CompiledPolicy {
  let objects = compiled.objects;
  if (objects === undefined) return compiled;
  const results: NativeRuleResult[] = [...compiled.results];
  // Index in `results` of the compiled rule behind each remaining validation.
  let order = results.flatMap((r, i) => (r.kind === 'compiled' ? [i] : []));
  const refuse = (at: number, reason: string): void => {
    const r = results[at];
    results[at] = { kind: 'notExpressible', policy: r.policy, rule: r.rule, ruleType: r.ruleType, reason };
  };
  for (;;) {
    const problems = checkLimits(objects, envelope).filter((p) => refused.includes(p.limit));
    if (problems.length === 0) return { ...compiled, results, objects };
    const report = estimatePolicy(objects, envelope);
    const current = objects;
    const validationOf = (variable: string | undefined): number =>
      variable === undefined ? -1 : (current.policy as { spec: VapSpecRules }).spec.validations.findIndex((_, i) => validationVariable(current, i) === variable);
    const own = new Map<number, string[]>();
    const shared: LimitProblem[] = [];
    for (const p of problems) {
      const i = p.limit === 'perEvaluationCost' ? -1 : validationOf(p.variable);
      if (i >= 0) own.set(i, [...(own.get(i) ?? []), p.message]);
      else if (p.limit !== 'perEvaluationCost') shared.push(p);
    }
    const drop = new Set(own.keys());
    for (const [i, messages] of own) refuse(order[i], `its ValidatingAdmissionPolicy would exceed a limit Kubernetes enforces: ${messages.join('; ')}`);
    if (shared.length > 0) {
      for (const at of order) refuse(at, `its ValidatingAdmissionPolicy would exceed a limit Kubernetes enforces: ${shared.map((p) => p.message).join('; ')}`);
      return { policy: compiled.policy, results };
    }
    if (drop.size === 0) {
      // Only the policy-wide budget: the dearest rule (its variable and validation) leaves.
      const costOf = (i: number): number => {
        const variable = validationVariable(current, i);
        return report.expressions.filter((e) => e.variable === variable).reduce((acc, e) => acc + e.cost, 0);
      };
      let dearest = 0;
      order.forEach((_, i) => {
        if (costOf(i) > costOf(dearest)) dearest = i;
      });
      drop.add(dearest);
      refuse(
        order[dearest],
        `its ValidatingAdmissionPolicy would exceed a limit Kubernetes enforces: the policy's expressions have an estimated worst-case total cost of ${fmt(report.totalCost)}, over the API server's budget of ${fmt(KUBERNETES_CEL_LIMITS.perEvaluationCost)} per policy evaluation, and this rule's are the dearest (${fmt(costOf(dearest))})`,
      );
    }
    objects = withoutRules(objects, drop);
    order = order.filter((_, i) => !drop.has(i));
    if (objects === undefined) return { policy: compiled.policy, results };
  }
}

function validationVariable(objects: NativeObjects, i: number): string | undefined {
  const v = (objects.policy as { spec: VapSpecRules }).spec.validations[i];
  return v === undefined ? undefined : /variables\.([A-Za-z_][A-Za-z0-9_]*)/.exec(v.expression)?.[1];
}
