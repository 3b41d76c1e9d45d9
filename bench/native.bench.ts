/**
 * Native enforcement (runtime/native): what compiles, how large the generated CEL is, and how long
 * CEL takes in the test harness (@marcbachmann/cel-js, test/native/cel-harness.ts) against the
 * engine for the same inputs — the upstream Pod Security fixture Pods and the reference fixture
 * workloads, CREATE in a labelled namespace.
 *
 * Policies: every policy of the reference bundle (dist/) with at least one compiled rule, and a
 * restricted Pod Security policy (latest, autogen) as the engine benchmark uses. The engine is given
 * the same rules the ValidatingAdmissionPolicy carries (the compiled ones). Timing: ROUNDS rounds,
 * each timing the engine then CEL (or the reverse, alternating) over every input once; the per-review
 * median of each side and their ratio per round are printed with the spread across rounds. cel-js
 * is a JavaScript interpreter, not cel-go: its time says how heavy the expressions are, not how fast
 * the API server evaluates them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CONTROLLER_TARGETS, POD_TARGET, type Policy } from '../runtime/bundle';
import { evaluateNow } from '../runtime/engine/evaluate';
import type { AdmissionInput } from '../runtime/engine/types';
import { readArchive } from '../test/conformance/archive';
import { withAutogen } from '../test/helpers/bundles';
import { evaluateNative, expressionsOf, type NativeRequest } from '../test/native/cel-harness';
import { compileForTest, RUNTIME_NAMESPACE } from '../test/native/compile-input';

const ROOT = path.resolve(__dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const NOW = new Date('2026-06-01T00:00:00Z');

function restrictedPolicy(): Policy {
  return {
    name: 'pod-security-bench',
    mode: 'Enforce',
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    controllers: Object.keys(CONTROLLER_TARGETS),
    match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
    rules: withAutogen('restricted', { type: 'podSecurity', level: 'restricted', version: 'latest' }),
    exemptions: [],
  };
}

function upstreamPods(): Record<string, unknown>[] {
  const files = readArchive(path.join(ROOT, 'test/conformance/pss-upstream/fixtures.ndjson.gz'));
  const out: Record<string, unknown>[] = [];
  for (const [file, content] of files) {
    if (!file.endsWith('.yaml')) continue;
    for (const doc of parseAllDocuments(content)) {
      const o = doc.toJS() as Record<string, unknown> | null;
      if (o !== null && o.kind === 'Pod') out.push(o);
    }
  }
  return out;
}

function requestOf(object: Record<string, unknown>): NativeRequest {
  return {
    operation: 'CREATE',
    kind: { group: POD_TARGET.group, version: POD_TARGET.version, kind: POD_TARGET.kind },
    resource: { group: POD_TARGET.group, version: POD_TARGET.version, resource: POD_TARGET.resource },
    namespace: 'payments',
    namespaceLabels: { 'payments.example.com/environment': 'production' },
    object,
  };
}

function inputOf(req: NativeRequest): AdmissionInput {
  return { uid: 'bench', kind: req.kind, resource: req.resource, operation: req.operation, namespace: req.namespace, object: req.object };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeEach(n: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

function main(): void {
  const bundle = JSON.parse(readFileSync(path.join(ROOT, 'dist/portcullis-bundle.json'), 'utf8')) as { policies: Policy[] };
  const requests = upstreamPods().map(requestOf);
  const inputs = requests.map(inputOf);
  process.stdout.write(`native enforcement: ${requests.length} upstream Pod Security fixture Pods per round, ${ROUNDS} rounds; node ${process.version}\n\n`);

  let compiledCount = 0;
  const kept: string[] = [];
  const measured: { policy: Policy; compiledRules: Policy; objects: NonNullable<ReturnType<typeof compileForTest>['objects']> }[] = [];
  for (const policy of [...bundle.policies, restrictedPolicy()]) {
    // The reference policies with the reference Pod defaults; the bench policy alone (no defaults).
    const compiled = compileForTest(policy, bundle.policies.includes(policy) ? bundle.policies : [policy]);
    for (const r of compiled.results) {
      if (r.kind === 'compiled') compiledCount += 1;
      else kept.push(`${r.policy}/${r.rule} (${r.ruleType}): ${r.reason}`);
    }
    if (compiled.objects === undefined) continue;
    const rules = new Set(compiled.results.filter((r) => r.kind === 'compiled').map((r) => r.rule));
    const largest = Math.max(...expressionsOf(compiled.objects).map((e) => e.length));
    process.stdout.write(`${policy.name}: ${rules.size} rule(s) compiled; largest expression ${largest} characters\n`);
    measured.push({ policy, compiledRules: { ...policy, rules: policy.rules.filter((r) => rules.has(r.autogenFrom ?? r.name)) }, objects: compiled.objects });
  }
  process.stdout.write(`\n${compiledCount} rule(s) compiled; ${kept.length} kept on the webhook:\n${kept.map((k) => `  - ${k}`).join('\n')}\n\n`);

  const context = { now: NOW, excludedNamespaces: [RUNTIME_NAMESPACE] };
  for (const m of measured) {
    const engine = (i: number): void => {
      void evaluateNow('validate', inputs[i], [m.compiledRules], context);
    };
    const cel = (i: number): void => {
      evaluateNative(m.objects, requests[i]);
    };
    // Warm-up: parse every expression once and let the JIT settle.
    timeEach(requests.length, engine);
    timeEach(requests.length, cel);
    const e: number[] = [];
    const c: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      if (round % 2 === 0) {
        e.push(timeEach(requests.length, engine));
        c.push(timeEach(requests.length, cel));
      } else {
        c.push(timeEach(requests.length, cel));
        e.push(timeEach(requests.length, engine));
      }
    }
    const ratios = c.map((x, i) => x / e[i]);
    process.stdout.write(
      `${m.policy.name.padEnd(22)} engine ${median(e).toFixed(1).padStart(7)} µs/review   CEL (cel-js) ${median(c).toFixed(1).padStart(8)} µs/review   ` +
        `CEL/engine ${median(ratios).toFixed(1)}× (rounds ${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)}×)\n`,
    );
  }
}

main();
