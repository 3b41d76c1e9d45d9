/**
 * The AdmissionReview codec and response encoding, independent of the engine: Decisions are built
 * here as the engine's contract (runtime/engine/types.ts) defines them.
 */
import { describe, expect, it } from 'vitest';
import { encodeDecision, engineFailure, unevaluatedResponse } from '../../runtime/server/admission-response';
import { toAdmissionInput, type AdmissionRequest } from '../../runtime/server/admission-review';
import { webhookServes } from '../../runtime/server/bundle-state';
import { objectShapeProblem } from '../../runtime/server/object-shape';
import {
  MAX_ANNOTATION_VALUE_CHARS,
  MAX_WARNING_CHARS,
  MAX_WARNINGS,
  boundedLines,
  violationLine,
} from '../../runtime/server/violation-text';
import type { Decision, Violation } from '../../runtime/engine/types';
import { POD_AND_CONTROLLER_RULES, deployment, pod, review, COMPLIANT_CONTAINER } from './fixtures';

function decision(d: Partial<Decision> = {}): Decision {
  return { allowed: true, violations: [], warnings: [], patches: [], errors: [], results: [], ...d };
}

function violation(v: Partial<Violation> = {}): Violation {
  return {
    policy: 'restricted',
    rule: 'pss',
    ruleType: 'podSecurity',
    control: 'privileged',
    mode: 'Enforce',
    container: 'app',
    field: 'spec.containers[0].securityContext.privileged',
    message:
      '[restricted/pss] privileged: container "app" securityContext.privileged=true is not allowed (allowed: false or unset). To request an exemption: ask #platform',
    ...v,
  };
}

const validating = { type: 'validating', failurePolicy: 'Fail' } as const;
const mutating = { type: 'mutating', failurePolicy: 'Fail' } as const;

describe('encodeDecision', () => {
  it('allows a clean decision and echoes the uid with nothing else', () => {
    const { response, outcome } = encodeDecision('uid-1', validating, decision());
    expect(response).toEqual({ uid: 'uid-1', allowed: true });
    expect(outcome).toBe('allowed');
  });

  it('denies with 403 Forbidden and one line per violation', () => {
    const vs = [
      violation(),
      violation({ control: 'capabilities', container: 'sidecar', message: 'capabilities: container "sidecar" capabilities.add=NET_ADMIN is not allowed' }),
    ];
    const { response, outcome } = encodeDecision('u', validating, decision({ allowed: false, violations: vs }));
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    expect(response.status?.reason).toBe('Forbidden');
    const lines = response.status!.message.split('\n');
    expect(lines).toEqual([vs[0].message, '[restricted/pss] capabilities: container "sidecar" capabilities.add=NET_ADMIN is not allowed']);
    expect(response.patch).toBeUndefined();
    expect(outcome).toBe('denied');
  });

  it('adds the [policy/rule] prefix only when the engine message lacks it', () => {
    expect(violationLine(violation())).toBe(violation().message);
    expect(violationLine(violation({ message: 'x is not allowed' }))).toBe('[restricted/pss] x is not allowed');
  });

  it('audits: admits with short warnings and per-policy audit annotations', () => {
    const w = violation({ mode: 'Audit', policy: 'audit-pss' , message: `[audit-pss/pss] ${'long '.repeat(60)}` });
    const { response } = encodeDecision('u', validating, decision({ warnings: [w, w] }));
    expect(response.allowed).toBe(true);
    expect(response.status).toBeUndefined();
    expect(response.warnings).toHaveLength(2);
    for (const text of response.warnings!) {
      expect(text.length).toBeLessThanOrEqual(MAX_WARNING_CHARS);
      expect(text.startsWith('[audit-pss/pss]')).toBe(true);
    }
    expect(Object.keys(response.auditAnnotations!)).toEqual(['audit-pss']);
    expect(response.auditAnnotations!['audit-pss']).toContain('pss/privileged(app): spec.containers[0].securityContext.privileged');
  });

  it('warnings leave out the exemption hint (denials keep it)', () => {
    const w = violation({ mode: 'Audit', message: '[restricted/pss] privileged: container "app" is privileged. To request an exemption: see #platform' });
    const { response } = encodeDecision('u', validating, decision({ warnings: [w] }));
    expect(response.warnings).toEqual(['[restricted/pss] privileged: container "app" is privileged']);
    const denied = encodeDecision('u', validating, decision({ allowed: false, violations: [{ ...w, mode: 'Enforce' }] }));
    expect(denied.response.status?.message).toContain('To request an exemption: see #platform');
  });

  it('bounds the number of warnings and says how many were cut', () => {
    const many = Array.from({ length: 25 }, (_, i) => violation({ mode: 'Audit', container: `c${i}`, message: `finding ${i}` }));
    const { response } = encodeDecision('u', validating, decision({ warnings: many }));
    expect(response.warnings).toHaveLength(MAX_WARNINGS);
    expect(response.warnings![MAX_WARNINGS - 1]).toContain(`${25 - (MAX_WARNINGS - 1)} more`);
    expect(response.auditAnnotations!.restricted.length).toBeLessThanOrEqual(MAX_ANNOTATION_VALUE_CHARS);
  });

  it('mutating: base64 JSONPatch with patchType, and no patch field when there is nothing to patch', () => {
    const patches = [{ op: 'add' as const, path: '/spec/containers/0/resources', value: { limits: { cpu: '1' } } }];
    const { response, patched } = encodeDecision('u', mutating, decision({ patches }));
    expect(response.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8'))).toEqual(patches);
    expect(patched).toBe(true);
    const empty = encodeDecision('u', mutating, decision()).response;
    expect('patch' in empty).toBe(false);
    expect('patchType' in empty).toBe(false);
  });

  it('never sends a patch from a validating webhook', () => {
    const patches = [{ op: 'add' as const, path: '/metadata/labels', value: {} }];
    const { response } = encodeDecision('u', validating, decision({ patches }));
    expect(response.patch).toBeUndefined();
  });

  it('failurePolicy Fail: an evaluation error denies with a message that says it was an error', () => {
    const errors = [{ policy: 'signed', rule: 'verify', message: 'registry 127.0.0.1:1 unreachable' }];
    const { response, outcome } = encodeDecision('u', validating, decision({ errors }));
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(500);
    expect(response.status?.message).toContain('evaluation error (not a policy verdict)');
    expect(response.status?.message).toContain('registry 127.0.0.1:1 unreachable');
    expect(response.status?.message).toContain('failurePolicy Fail');
    expect(outcome).toBe('error_denied');
  });

  it('failurePolicy Ignore: an evaluation error admits with a warning', () => {
    const errors = [{ policy: 'signed', rule: 'verify', message: 'timeout' }];
    const { response, outcome } = encodeDecision('u', { type: 'validating', failurePolicy: 'Ignore' }, decision({ errors }));
    expect(response.allowed).toBe(true);
    expect(response.warnings?.[0]).toContain('evaluation error');
    expect(response.warnings?.[0]).toContain('Ignore');
    expect(outcome).toBe('error_allowed');
  });

  it('an error never turns an Enforce violation into an allow (Ignore) and both are listed (Fail)', () => {
    const errors = [{ policy: 'signed', rule: 'verify', message: 'timeout' }];
    const ignore = encodeDecision('u', { type: 'validating', failurePolicy: 'Ignore' }, decision({ allowed: false, violations: [violation()], errors }));
    expect(ignore.response.allowed).toBe(false);
    expect(ignore.response.status?.code).toBe(403);
    const fail = encodeDecision('u', validating, decision({ allowed: false, violations: [violation()], errors }));
    expect(fail.response.status?.code).toBe(403);
    expect(fail.response.status?.message.split('\n')).toHaveLength(2);
  });

  it('a thrown engine becomes one error per policy the path serves', () => {
    const errors = engineFailure(['a', 'b'], new Error('boom'));
    expect(errors.map((e) => e.policy)).toEqual(['a', 'b']);
    const { response } = encodeDecision('u', validating, decision({ errors }));
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('boom');
  });

  it('unevaluated requests are allowed untouched', () => {
    expect(unevaluatedResponse('x')).toEqual({ response: { uid: 'x', allowed: true }, outcome: 'skipped', patched: false });
  });

  it('bounds a huge denial message but keeps counting', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const text = boundedLines(lines, 4096);
    expect(text.length).toBeLessThan(4096 + 80);
    expect(text).toMatch(/…and \d+ more/);
  });
});

describe('request decoding', () => {
  it('maps an API-server request to the engine input', () => {
    const r = review({ object: pod('web', [COMPLIANT_CONTAINER]), dryRun: true }).request as unknown as AdmissionRequest;
    const input = toAdmissionInput(r);
    expect(input).toMatchObject({ uid: r.uid, operation: 'CREATE', namespace: 'team-a', name: 'web', dryRun: true });
    expect(input.kind).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    expect(input.oldObject).toBeUndefined();
    expect(input.subResource).toBeUndefined();
  });

  it('finds malformed objects the engine must never see', () => {
    const ok = review({ object: deployment('web', [COMPLIANT_CONTAINER]) }).request as unknown as AdmissionRequest;
    expect(objectShapeProblem(ok, ok.object)).toBeUndefined();
    const bad = (mutate: (o: Record<string, unknown>) => void): string | undefined => {
      const r = review({ object: pod('web', [COMPLIANT_CONTAINER]) }).request as unknown as AdmissionRequest;
      mutate(r.object!);
      return objectShapeProblem(r, r.object);
    };
    expect(bad((o) => ((o.spec as Record<string, unknown>).containers = 'nginx'))).toContain('spec.containers must be a list');
    expect(bad((o) => ((o.spec as Record<string, unknown>).containers = [42]))).toContain('spec.containers[0] must be an object');
    expect(bad((o) => ((o.spec as Record<string, unknown>).containers = [{ image: 'x' }]))).toContain('name must be a non-empty string');
    expect(bad((o) => ((o.spec as Record<string, unknown>).hostNetwork = 'yes'))).toContain('hostNetwork must be a boolean');
    expect(bad((o) => (o.spec = []))).toContain('request.object.spec must be an object');
    expect(bad((o) => (o.kind = 'Deployment'))).toContain('request.kind.kind is "Pod"');
    expect(bad((o) => ((o.metadata as Record<string, unknown>).labels = { a: 1 }))).toContain('labels must map strings to strings');
    const r = review({ object: pod('web', [COMPLIANT_CONTAINER]) }).request as unknown as AdmissionRequest;
    expect(objectShapeProblem(r, null)).toContain('must be a JSON object');
  });

  it('knows which requests a webhook entry selects (as the API server matches rules)', () => {
    const w = { rules: POD_AND_CONTROLLER_RULES } as Parameters<typeof webhookServes>[0];
    const req = (group: string, resource: string, operation: 'CREATE' | 'UPDATE', subResource?: string) => ({ resource: { group, resource }, operation, subResource });
    expect(webhookServes(w, req('', 'pods', 'CREATE'))).toBe(true);
    expect(webhookServes(w, req('', 'pods', 'UPDATE', 'ephemeralcontainers'))).toBe(true);
    expect(webhookServes(w, req('', 'pods', 'UPDATE', 'status'))).toBe(false);
    expect(webhookServes(w, req('apps', 'deployments', 'CREATE'))).toBe(true);
    expect(webhookServes(w, req('', 'configmaps', 'CREATE'))).toBe(false);
    expect(webhookServes(w, req('', 'deployments', 'CREATE'))).toBe(false);
    const star = { rules: [{ apiGroups: ['*'], apiVersions: ['*'], resources: ['*/scale'], operations: ['UPDATE'] }] } as Parameters<typeof webhookServes>[0];
    expect(webhookServes(star, req('apps', 'deployments', 'UPDATE', 'scale'))).toBe(true);
    expect(webhookServes(star, req('apps', 'deployments', 'UPDATE'))).toBe(false);
  });
});
