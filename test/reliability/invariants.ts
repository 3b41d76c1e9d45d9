/**
 * What "a well-formed answer" means, checked the same way by the property tests and `npm run fuzz`
 * (which runs outside vitest, so these throw plain errors): the engine's Decision, and the HTTP
 * answer the API server receives.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Decision } from '../../runtime/engine/types';

export class InvariantError extends Error {
  override name = 'InvariantError';
}

function must(ok: boolean, what: string, label: string): void {
  if (!ok) throw new InvariantError(label === '' ? what : `${label}: ${what}`);
}

/** A small stand-in for expect(actual).toBe/toEqual/toContain that works outside vitest too. */
function expect(actual: unknown, label = '') {
  const show = (v: unknown): string => {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
  };
  return {
    toBe: (expected: unknown) => must(Object.is(actual, expected), `expected ${show(expected)}, got ${show(actual)}`, label),
    toEqual: (expected: unknown) => must(isDeepStrictEqual(actual, expected), `expected ${show(expected)}, got ${show(actual)}`, label),
    toContain: (item: unknown) => must(Array.isArray(actual) && actual.includes(item), `expected ${show(actual)} to contain ${show(item)}`, label),
    toBeGreaterThan: (n: number) => must(typeof actual === 'number' && actual > n, `expected ${show(actual)} > ${n}`, label),
    not: {
      toThrow: () => {
        if (typeof actual !== 'function') throw new InvariantError('not.toThrow needs a function');
        try {
          (actual as () => unknown)();
        } catch (err) {
          must(false, `threw ${(err as Error).message}`, label);
        }
      },
    },
  };
}

export function assertWellFormedDecision(d: Decision, label = ''): void {
  expect(typeof d.allowed, label).toBe('boolean');
  for (const list of [d.violations, d.warnings, d.patches, d.errors, d.results]) expect(Array.isArray(list), label).toBe(true);
  expect(d.allowed, label).toBe(d.violations.length === 0);
  for (const v of [...d.violations, ...d.warnings]) {
    expect(typeof v.message, label).toBe('string');
    expect(v.message.length, label).toBeGreaterThan(0);
    expect(typeof v.field, label).toBe('string');
  }
  for (const p of d.patches) expect(p.path.startsWith('/') || p.path === '', label).toBe(true);
  // A Decision must survive the JSON encoding the server applies.
  expect(() => JSON.stringify(d), label).not.toThrow();
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface ParsedAnswer {
  status: number;
  /** The AdmissionResponse when status is 200. */
  response?: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[]; patch?: string; patchType?: string };
  /** The error JSON for 4xx answers. */
  error?: { statusCode: number; message: string };
}

/** Status codes an admission path may answer with; anything else (5xx included) is a defect. */
export const ACCEPTABLE_STATUS = [200, 400, 404, 413, 415] as const;

/** Parse and check one HTTP answer; throws (fails the property) when it is malformed. */
export function checkAnswer(a: HttpAnswer, sentUid: unknown, label = ''): ParsedAnswer {
  expect(ACCEPTABLE_STATUS, `${label}: status ${a.status} ${a.body.slice(0, 300)}`).toContain(a.status);
  const json = JSON.parse(a.body) as Record<string, unknown>;
  if (a.status !== 200) {
    expect(typeof json.message, label).toBe('string');
    expect(json.statusCode, label).toBe(a.status);
    return { status: a.status, error: json as unknown as ParsedAnswer['error'] };
  }
  expect(json.apiVersion, label).toBe('admission.k8s.io/v1');
  expect(json.kind, label).toBe('AdmissionReview');
  const response = json.response as NonNullable<ParsedAnswer['response']>;
  expect(response.uid, label).toBe(sentUid);
  expect(typeof response.allowed, label).toBe('boolean');
  if (!response.allowed) {
    expect(response.status?.message.length ?? 0, label).toBeGreaterThan(0);
  }
  if (response.patch !== undefined) {
    expect(response.patchType, label).toBe('JSONPatch');
    expect(Array.isArray(JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'))), label).toBe(true);
  }
  return { status: a.status, response };
}

/**
 * What the API server does with an answer: a 200 says allowed or not; any other answer is a
 * webhook failure, which `Fail` turns into a denial and `Ignore` into an admission.
 */
export function effectivelyAdmitted(answer: ParsedAnswer, failurePolicy: 'Fail' | 'Ignore'): boolean {
  if (answer.status === 200) return answer.response?.allowed === true;
  return failurePolicy === 'Ignore';
}
