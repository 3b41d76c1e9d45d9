/**
 * Property tests of the HTTP endpoint (the real PortcullisServer; in process through Fastify's
 * inject, plus a bounded number over real HTTPS on loopback):
 * - forbidden workloads are never admitted through the `Fail` validating path — neither alone nor
 *   after the mutating path's patch is applied, as the API server chains them;
 * - damaged AdmissionReviews and raw byte soup get a well-formed answer: a 200 AdmissionReview
 *   with the request's uid, or a 4xx JSON error — never a 5xx, a hang or a dropped connection;
 * - the server keeps answering correctly after all of it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyJsonPatch } from '../../runtime/engine/json-patch';
import type { JsonPatchOperation } from '../../runtime/engine/types';
import { CI_OPTIONS, compliantCase, forbiddenCase, mutatedReview, nastyString, toReview, type ReviewEnvelope } from './arbitraries';
import { enforceBundle, PATHS } from './fixtures';
import { checkAnswer, effectivelyAdmitted } from './invariants';
import { startReliabilityServer, type ReliabilityServer } from './server-harness';

const RUNS = Number(process.env.PORTCULLIS_PROPERTY_RUNS ?? 300);
/** A case that takes longer is a hang: fast-check fails it (and shrinks it). */
const CASE_TIMEOUT_MS = 5_000;
const HTTPS_RUNS = Math.max(10, Math.ceil(RUNS / 6));

function uidOf(review: unknown): unknown {
  if (review === null || typeof review !== 'object') return undefined;
  const request = (review as Record<string, unknown>).request;
  return request !== null && typeof request === 'object' ? (request as Record<string, unknown>).uid : undefined;
}

describe('HTTP endpoint properties (in process)', () => {
  let s: ReliabilityServer;
  beforeAll(async () => {
    s = await startReliabilityServer(enforceBundle());
  });
  afterAll(async () => {
    await s?.close();
  });

  it('never admits a forbidden workload through the Fail path, mutated first or not', async () => {
    await fc.assert(
      fc.asyncProperty(forbiddenCase(CI_OPTIONS), async (c) => {
        const review = toReview(c.input);
        const direct = checkAnswer(await s.inject(PATHS.validate, JSON.stringify(review)), c.input.uid, c.label);
        expect(effectivelyAdmitted(direct, 'Fail'), c.label).toBe(false);

        // The API server's chain: mutating webhook, apply its patch, validating webhook.
        const mutated = checkAnswer(await s.inject(PATHS.mutate, JSON.stringify(review)), c.input.uid, c.label);
        if (mutated.status !== 200 || mutated.response?.allowed !== true) return;
        let object = c.input.object;
        if (mutated.response.patch !== undefined) {
          const ops = JSON.parse(Buffer.from(mutated.response.patch, 'base64').toString('utf8')) as JsonPatchOperation[];
          object = applyJsonPatch(object, ops);
        }
        const chained: ReviewEnvelope = { ...review, request: { ...review.request, object } };
        const after = checkAnswer(await s.inject(PATHS.validate, JSON.stringify(chained)), c.input.uid, c.label);
        expect(effectivelyAdmitted(after, 'Fail'), c.label).toBe(false);
        if (after.status === 200) expect(after.response?.status?.code, c.label).toBe(403);
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: RUNS },
    );
  });

  it('a forbidden workload under any Content-Type spelling is never admitted', async () => {
    const spelling = fc.constantFrom('application/json\t; charset=utf-8', 'application/json;', 'APPLICATION/JSON', ' application/json', 'application/json ; x=y', 'application/json\u0000', 'text/plain', 'application/jsonx');
    await fc.assert(
      fc.asyncProperty(forbiddenCase(CI_OPTIONS), spelling, async (c, type) => {
        const answer = checkAnswer(await s.inject(PATHS.validate, JSON.stringify(toReview(c.input)), type), c.input.uid, `${JSON.stringify(type)} ${c.label}`);
        expect(effectivelyAdmitted(answer, 'Fail'), `${JSON.stringify(type)} ${c.label}`).toBe(false);
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('admits the same workloads without the forbidden feature', async () => {
    await fc.assert(
      fc.asyncProperty(compliantCase(CI_OPTIONS), async (c) => {
        const answer = checkAnswer(await s.inject(PATHS.validate, JSON.stringify(toReview(c.input))), c.input.uid, c.label);
        // Noise may include `__proto__`/`constructor` keys, which the JSON parser refuses (400).
        if (answer.status === 200) expect(answer.response?.allowed, `${c.label} ${answer.response?.status?.message}`).toBe(true);
        else expect(answer.error?.message, c.label).toMatch(/JSON|prototype|constructor/i);
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('damaged reviews get a well-formed answer on every path', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedReview(CI_OPTIONS), fc.constantFrom(PATHS.mutate, PATHS.validate, PATHS.audit), async ({ label, review }, path) => {
        const text = JSON.stringify(review) ?? 'null';
        checkAnswer(await s.inject(path, text), uidOf(review), label);
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: RUNS },
    );
  });

  it('callers cannot mint metric series (memory stays bounded whatever kinds and uids they send)', async () => {
    const series = async (): Promise<number> => {
      const r = await s.server.app.inject({ method: 'GET', url: '/metrics' });
      return r.body.split('\n').filter((l) => l.startsWith('portcullis_') && !l.startsWith('portcullis_process') && !l.startsWith('portcullis_nodejs')).length;
    };
    const forged = fc.record({
      kind: nastyString(30).filter((k) => k.length > 0),
      group: fc.constantFrom('', 'apps', 'batch', 'evil.example.com'),
      operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT'),
      path: fc.constantFrom(PATHS.mutate, PATHS.validate, PATHS.audit, '/validate/nope', '/x'),
    });
    const send = async (f: { kind: string; group: string; operation: string; path: string }): Promise<void> => {
      const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'm', kind: { group: f.group, version: 'v1', kind: f.kind }, resource: { group: f.group, version: 'v1', resource: 'x' }, operation: f.operation, object: { metadata: {} } } };
      await s.inject(f.path, JSON.stringify(review));
    };
    for (const f of fc.sample(forged, { numRuns: 200, seed: 1 })) await send(f);
    const after200 = await series();
    for (const f of fc.sample(forged, { numRuns: 400, seed: 2 })) await send(f);
    expect(await series()).toBe(after200);
  });

  it('raw bodies (truncated JSON, byte soup, wrong content types) get a 4xx, never a crash', async () => {
    const valid = JSON.stringify(toReview(fc.sample(forbiddenCase(CI_OPTIONS), { timeout: CASE_TIMEOUT_MS, numRuns: 1, seed: 7 })[0].input));
    const body = fc.oneof(
      fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
      nastyString(200),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.constantFrom('', 'null', '[]', '"x"', '0', '{}', '{"request":null}', '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}'),
      fc.constant(`${'['.repeat(100_000)}${']'.repeat(100_000)}`),
      fc.constant(`{"a":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_001)}`),
    );
    // Includes the malformed spellings behind Fastify's content-type validation-bypass advisories
    // (tabs, missing parameter after ';', case, whitespace, suffixes).
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json\t; charset=utf-8',
      'application/json;',
      'application/json ;',
      'APPLICATION/JSON',
      ' application/json',
      'application/jsonx',
      'application/json, text/plain',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/yaml',
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, async (text, type) => {
        const a = await s.inject(PATHS.validate, text, type);
        const parsed = checkAnswer(a, undefined, `${type} ${JSON.stringify(text.slice(0, 80))}`);
        expect(parsed.status, text.slice(0, 80)).not.toBe(200);
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: Math.ceil(RUNS / 2) },
    );
    // Still correct afterwards.
    const ok = checkAnswer(await s.inject(PATHS.validate, valid), uidOf(JSON.parse(valid)));
    expect(effectivelyAdmitted(ok, 'Fail')).toBe(false);
  });
});

describe('HTTP endpoint properties (real HTTPS, bounded)', () => {
  let s: ReliabilityServer;
  beforeAll(async () => {
    s = await startReliabilityServer(enforceBundle(), { listen: true });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('forbidden workloads are denied and damaged reviews answered over HTTPS', async () => {
    await fc.assert(
      fc.asyncProperty(forbiddenCase(CI_OPTIONS), mutatedReview(CI_OPTIONS), async (c, damaged) => {
        const denied = checkAnswer(await s.post(PATHS.validate, JSON.stringify(toReview(c.input))), c.input.uid, c.label);
        expect(effectivelyAdmitted(denied, 'Fail'), c.label).toBe(false);
        checkAnswer(await s.post(PATHS.validate, JSON.stringify(damaged.review) ?? 'null'), uidOf(damaged.review), damaged.label);
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: HTTPS_RUNS },
    );
  });
});
