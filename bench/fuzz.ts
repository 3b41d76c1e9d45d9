/**
 * `npm run fuzz`: the long fast-check campaign behind test/reliability's bounded property tests —
 * bigger inputs (40-element lists, nesting to depth 2,000), many more cases, a per-case hang limit —
 * then adversarial image names and label values timed end to end through evaluate() (a time bound
 * in a benchmark, never in a test). Prints cases executed and failures per campaign; exits 1 on any
 * failure (with fast-check's shrunk counterexample and seed to replay it).
 *
 *   npm run fuzz                               # ~2 minutes of cases per default
 *   FUZZ_SECONDS=600 npm run fuzz              # longer
 *   FUZZ_SEED=1234 FUZZ_SECONDS=30 npm run fuzz
 */
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { POD_TARGET, validateBundle, type Policy } from '../runtime/bundle';
import { evaluate, evaluateOffline } from '../runtime/engine/evaluate';
import { applyJsonPatch } from '../runtime/engine/json-patch';
import type { AdmissionInput, JsonPatchOperation } from '../runtime/engine/types';
import { compliantCase, DEEP_OPTIONS, forbiddenCase, FUZZ_OPTIONS, mutatedReview, nastyString, toReview } from '../test/reliability/arbitraries';
import { CONTEXT, enforceBundle, PATHS, policiesOf, withAutogen } from '../test/reliability/fixtures';
import { assertWellFormedDecision, checkAnswer, effectivelyAdmitted, InvariantError } from '../test/reliability/invariants';
import { startReliabilityServer, type ReliabilityServer } from '../test/reliability/server-harness';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 120);
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
/** A case that takes longer than this is a hang (reported as a failure). */
const CASE_TIMEOUT_MS = 5_000;

const bundle = enforceBundle();
const all = bundle.policies;
const enforcing = policiesOf(bundle, PATHS.validate);

function fail(ok: boolean, what: string): void {
  if (!ok) throw new InvariantError(what);
}

interface Campaign {
  name: string;
  /** Share of the total time. */
  weight: number;
  property: (server: ReliabilityServer) => fc.IAsyncPropertyWithHooks<unknown[]>;
}

const campaigns: Campaign[] = [
  {
    name: 'engine: forbidden workloads never allowed',
    weight: 3,
    property: () =>
      fc.asyncProperty(forbiddenCase(FUZZ_OPTIONS), async (c) => {
        const offline = await evaluateOffline(c.input, all, CONTEXT);
        fail(!offline.allowed, `${c.label}: allowed`);
        fail(
          offline.validation.violations.some((v) => v.field.startsWith(c.expectField!)),
          `${c.label}: no violation at ${c.expectField}`,
        );
        fail(!(await evaluate('validate', c.input, enforcing, CONTEXT)).allowed, `${c.label}: validate alone allowed`);
      }),
  },
  {
    name: 'engine: compliant workloads allowed',
    weight: 1,
    property: () =>
      fc.asyncProperty(compliantCase(FUZZ_OPTIONS), async (c) => {
        const offline = await evaluateOffline(c.input, all, CONTEXT);
        fail(offline.allowed, `${c.label}: denied: ${offline.validation.violations.map((v) => v.message).join('; ')}`);
      }),
  },
  {
    name: 'engine: damaged objects answered well-formed',
    weight: 2,
    property: () =>
      fc.asyncProperty(mutatedReview(FUZZ_OPTIONS), fc.constantFrom('Pod', 'Deployment', 'CronJob', 'Job'), async ({ label, review }, kind) => {
        const request = (review as { request?: Record<string, unknown> } | null | undefined)?.request;
        const input: AdmissionInput = {
          uid: 'u',
          kind: { group: kind === 'Pod' ? '' : kind === 'Deployment' ? 'apps' : 'batch', version: 'v1', kind },
          resource: { group: '', version: 'v1', resource: 'x' },
          operation: 'UPDATE',
          namespace: 'team-a',
          object: request?.object,
          oldObject: request?.oldObject,
        };
        for (const phase of ['mutate', 'validate'] as const) assertWellFormedDecision(await evaluate(phase, input, all, CONTEXT), label);
      }),
  },
  {
    name: 'http: forbidden workloads never admitted (mutate → patch → validate)',
    weight: 3,
    property: (s) =>
      fc.asyncProperty(forbiddenCase(FUZZ_OPTIONS), async (c) => {
        const review = toReview(c.input);
        const direct = checkAnswer(await s.inject(PATHS.validate, JSON.stringify(review)), c.input.uid, c.label);
        fail(!effectivelyAdmitted(direct, 'Fail'), `${c.label}: admitted`);
        const mutated = checkAnswer(await s.inject(PATHS.mutate, JSON.stringify(review)), c.input.uid, c.label);
        if (mutated.status !== 200 || mutated.response?.allowed !== true) return;
        const ops = mutated.response.patch === undefined ? [] : (JSON.parse(Buffer.from(mutated.response.patch, 'base64').toString('utf8')) as JsonPatchOperation[]);
        const object = ops.length > 0 ? applyJsonPatch(c.input.object, ops) : c.input.object;
        const after = checkAnswer(await s.inject(PATHS.validate, JSON.stringify({ ...review, request: { ...review.request, object } })), c.input.uid, c.label);
        fail(!effectivelyAdmitted(after, 'Fail'), `${c.label}: admitted after mutation`);
      }),
  },
  {
    name: 'http: damaged reviews answered well-formed',
    weight: 2,
    property: (s) =>
      fc.asyncProperty(mutatedReview(FUZZ_OPTIONS), fc.constantFrom(PATHS.mutate, PATHS.validate, PATHS.audit), async ({ label, review }, path) => {
        const uid = (review as { request?: { uid?: unknown } } | null)?.request?.uid;
        checkAnswer(await s.inject(path, JSON.stringify(review) ?? 'null'), uid, label);
      }),
  },
  {
    name: 'http: deeply nested reviews (to 3,500 levels) answered well-formed',
    weight: 1,
    property: (s) =>
      fc.asyncProperty(mutatedReview(DEEP_OPTIONS), fc.constantFrom(PATHS.mutate, PATHS.validate), async ({ label, review }, path) => {
        const uid = (review as { request?: { uid?: unknown } } | null)?.request?.uid;
        checkAnswer(await s.inject(path, JSON.stringify(review) ?? 'null'), uid, label);
      }),
  },
  {
    name: 'http: raw byte soup gets a 4xx',
    weight: 1,
    property: (s) =>
      fc.asyncProperty(
        fc.oneof(nastyString(2_000), fc.uint8Array({ maxLength: 4_000 }).map((b) => Buffer.from(b).toString('latin1'))),
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1'),
        async (text, type) => {
          const a = checkAnswer(await s.inject(PATHS.validate, text, type), undefined, JSON.stringify(text.slice(0, 60)));
          fail(a.status !== 200, 'byte soup accepted');
        },
      ),
  },
];

interface Outcome {
  name: string;
  runs: number;
  failures: number;
  detail?: string;
}

async function runCampaign(c: Campaign, server: ReliabilityServer, ms: number): Promise<Outcome> {
  const details = await fc.check(c.property(server), {
    seed: SEED,
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: ms,
    markInterruptAsFailure: false,
    timeout: CASE_TIMEOUT_MS,
    endOnFailure: true,
  });
  const out: Outcome = { name: c.name, runs: details.numRuns + (details.failed ? 1 : 0), failures: details.failed ? 1 : 0 };
  if (details.failed) {
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    out.detail = `seed=${details.seed} path=${details.counterexamplePath ?? ''}\n    ${error.slice(0, 2_000)}`;
  }
  return out;
}

// ---- adversarial timing ------------------------------------------------------------------

function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  return fn().then(() => performance.now() - start);
}

async function adversarialTiming(): Promise<void> {
  process.stdout.write('\n-- adversarial image names and label values, end to end through evaluate() (ms per review)\n');
  const policy: Policy = validateBundle({
    ...enforceBundle(),
    webhooks: [],
    policies: [
      {
        ...enforceBundle().policies[1],
        name: 'adversarial',
        rules: [
          { name: 'registries', type: 'allowedRegistries', target: POD_TARGET, allowed: ['registry.example.com/*/*/*/*/*/x', 'ghcr.io/**/a/**/b/**/c', 'r.io/a*b*c*d*e*f*g*h*'] },
          { name: 'digest', type: 'requireDigest', target: POD_TARGET },
          { name: 'latest', type: 'disallowLatestTag', target: POD_TARGET },
          // The worst shapes safe-regex still accepts: 4 overlapping unbounded quantifiers, and a
          // delimiter-led repeated group (label values are at most 63 characters when matched).
          ...withAutogen('labels', { type: 'requireLabels', labels: [{ key: 'team', valuePattern: '[a-z]*[a-z]*[a-z]*[a-z]*!' }, { key: 'v', valuePattern: '[a-z]+(-[a-z]+)*' }] }).slice(0, 1),
        ],
      },
    ],
  }).bundle.policies[0];
  const pod = (image: string, label: string): AdmissionInput => ({
    uid: 'adv',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    namespace: 'team-a',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { team: label, v: label } }, spec: { containers: [{ name: 'c', image }] } },
  });
  const inputs: [string, (n: number) => [string, string]][] = [
    ['many segments vs **/a/**/b/**/c', (n) => [`ghcr.io/${'a/'.repeat(n)}x:1`, 'ok']],
    ['long segment vs a*b*c*…', (n) => [`r.io/${'abcdefg'.repeat(n / 7)}:1`, 'ok']],
    ['long tag', (n) => [`registry.example.com/a/b:${'1'.repeat(Math.min(n, 128))}${'-'.repeat(n)}`, 'ok']],
    ['label value vs [a-z]*[a-z]*[a-z]*[a-z]*! (63 chars)', () => ['registry.example.com/x:1', 'a'.repeat(63)]],
    ['label value vs [a-z]+(-[a-z]+)* (63 chars)', () => ['registry.example.com/x:1', `${'a-'.repeat(30)}aaA`]],
    ['label value, too long to be matched', (n) => ['registry.example.com/x:1', 'a'.repeat(n)]],
    ['garbage reference', (n) => [`${'/:@'.repeat(n / 3)}`, 'ok']],
  ];
  for (const [name, make] of inputs) {
    const row: string[] = [];
    for (const n of [1_000, 10_000, 100_000]) {
      const [image, label] = make(n);
      let worst = 0;
      await evaluate('validate', pod(image, label), [policy], CONTEXT); // warm-up
      for (let i = 0; i < 5; i += 1) worst = Math.max(worst, await timed(() => evaluate('validate', pod(image, label), [policy], CONTEXT)));
      row.push(`n=${n}: ${worst.toFixed(2)}`);
    }
    process.stdout.write(`${name.padEnd(52)} ${row.join('  ')}\n`);
  }
}

async function main(): Promise<void> {
  process.stdout.write(`fuzz: seed=${SEED}, ${SECONDS} s over ${campaigns.length} campaigns, per-case hang limit ${CASE_TIMEOUT_MS} ms\n`);
  const server = await startReliabilityServer(bundle);
  const totalWeight = campaigns.reduce((n, c) => n + c.weight, 0);
  const outcomes: Outcome[] = [];
  try {
    for (const c of campaigns) {
      const ms = Math.max(1_000, (SECONDS * 1000 * c.weight) / totalWeight);
      const o = await runCampaign(c, server, ms);
      outcomes.push(o);
      process.stdout.write(`${o.failures === 0 ? 'ok  ' : 'FAIL'} ${o.name.padEnd(72)} ${String(o.runs).padStart(8)} cases, ${o.failures} failures\n`);
      if (o.detail) process.stdout.write(`    ${o.detail}\n`);
    }
  } finally {
    await server.close();
  }
  await adversarialTiming();
  const runs = outcomes.reduce((n, o) => n + o.runs, 0);
  const failures = outcomes.reduce((n, o) => n + o.failures, 0);
  process.stdout.write(`\nfuzz: ${runs} cases executed, ${failures} failures found (seed ${SEED})\n`);
  process.exitCode = failures === 0 ? 0 : 1;
}

void main();
