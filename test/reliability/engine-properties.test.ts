/**
 * Property tests of the engine (evaluate / evaluateOffline) against `enforceBundle()`:
 * - a workload with a feature an Enforce policy forbids is NEVER allowed, wherever the feature sits
 *   (containers, initContainers, ephemeralContainers at any index, pod level; Pods, every
 *   controller's template, the ephemeralcontainers subresource) and whatever noise surrounds it —
 *   and the denial points at the feature itself;
 * - the same workloads without the feature are allowed (the control group: denials come from the
 *   feature, not the noise);
 * - damaged objects never make evaluate() reject or return a malformed Decision, and evaluation is
 *   deterministic.
 * Bounded run counts keep this file well under a minute on two cores; `npm run fuzz` runs more.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, evaluateOffline } from '../../runtime/engine/evaluate';
import type { AdmissionInput, Decision } from '../../runtime/engine/types';
import { CI_OPTIONS, compliantCase, forbiddenCase, mutatedReview } from './arbitraries';
import { CONTEXT, enforceBundle, PATHS, policiesOf } from './fixtures';
import { assertWellFormedDecision } from './invariants';

const bundle = enforceBundle();
const mutating = policiesOf(bundle, PATHS.mutate);
const enforcing = policiesOf(bundle, PATHS.validate);
const all = [...mutating, ...enforcing, ...policiesOf(bundle, PATHS.audit)];
const RUNS = Number(process.env.PORTCULLIS_PROPERTY_RUNS ?? 300);
/** A case that takes longer is a hang: fast-check fails it (and shrinks it). */
const CASE_TIMEOUT_MS = 5_000;

describe('engine properties', () => {
  it('never allows a workload carrying a forbidden feature, and names the feature', async () => {
    await fc.assert(
      fc.asyncProperty(forbiddenCase(CI_OPTIONS), async (c) => {
        const offline = await evaluateOffline(c.input, all, CONTEXT);
        expect(offline.allowed, c.label).toBe(false);
        assertWellFormedDecision(offline.validation);
        assertWellFormedDecision(offline.mutation);
        expect(offline.validation.errors, c.label).toEqual([]);
        const fields = offline.validation.violations.map((v) => v.field);
        expect(fields.some((f) => f.startsWith(c.expectField!)), `${c.label}: violations at ${fields.join(', ')}`).toBe(true);
        // The validating webhook alone, on the object as admitted (no mutation in front), too.
        const direct = await evaluate('validate', c.input, enforcing, CONTEXT);
        expect(direct.allowed, c.label).toBe(false);
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: RUNS },
    );
  });

  it('allows the same workloads and noise without the forbidden feature', async () => {
    await fc.assert(
      fc.asyncProperty(compliantCase(CI_OPTIONS), async (c) => {
        const offline = await evaluateOffline(c.input, all, CONTEXT);
        expect(offline.validation.violations.map((v) => v.message), c.label).toEqual([]);
        expect(offline.allowed, c.label).toBe(true);
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it('damaged objects: evaluate never rejects, answers well-formed and deterministically', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedReview(CI_OPTIONS), async ({ label, review }) => {
        const request = (review as { request?: unknown } | null | undefined)?.request;
        const object = request !== null && typeof request === 'object' ? (request as Record<string, unknown>).object : review;
        const oldObject = request !== null && typeof request === 'object' ? (request as Record<string, unknown>).oldObject : undefined;
        for (const kind of ['Pod', 'Deployment', 'CronJob'] as const) {
          const input: AdmissionInput = {
            uid: 'u',
            kind: { group: kind === 'Pod' ? '' : kind === 'CronJob' ? 'batch' : 'apps', version: 'v1', kind },
            resource: { group: '', version: 'v1', resource: 'x' },
            operation: oldObject === undefined || oldObject === null ? 'CREATE' : 'UPDATE',
            namespace: 'team-a',
            object,
            ...(oldObject === undefined || oldObject === null ? {} : { oldObject }),
          };
          let first: Decision | undefined;
          for (const phase of ['mutate', 'validate'] as const) {
            const d = await evaluate(phase, input, all, CONTEXT);
            assertWellFormedDecision(d, label);
            if (phase === 'validate') first = d;
          }
          const again = await evaluate('validate', input, all, CONTEXT);
          expect(again, label).toEqual(first);
          const offline = await evaluateOffline(input, all, CONTEXT);
          expect(typeof offline.allowed).toBe('boolean');
        }
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it('Object.prototype is never polluted by evaluation', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedReview(CI_OPTIONS), async ({ review }) => {
        const request = (review as { request?: Record<string, unknown> } | null | undefined)?.request;
        const input: AdmissionInput = {
          uid: 'u',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          resource: { group: '', version: 'v1', resource: 'pods' },
          operation: 'CREATE',
          namespace: 'team-a',
          object: request?.object,
        };
        await evaluateOffline(input, all, CONTEXT);
        const probe: Record<string, unknown> = {};
        expect(probe.polluted).toBeUndefined();
        expect(probe.privileged).toBeUndefined();
        expect(Object.keys(Object.prototype)).toEqual([]);
      }),
      { timeout: CASE_TIMEOUT_MS, numRuns: Math.ceil(RUNS / 4) },
    );
  });
});
