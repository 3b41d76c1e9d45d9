/**
 * The engine core through its public entry points: controllers, exemptions of every kind, expiry,
 * modes, errors, UPDATE relief, the ephemeralcontainers subresource, messages, and offline
 * mutate-then-validate with the real mutating families.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the tests edit unstructured manifests in place */
import { describe, expect, it } from 'vitest';
import { CONTROLLER_TARGETS, POD_TARGET, type Rule } from '../../runtime/bundle';
import { evaluate, evaluateNow, evaluateOffline } from '../../runtime/engine/evaluate';
import type { ImageVerifier } from '../../runtime/engine/types';
import { admission, ctx, exemption, policy, restrictedPod, wrap } from './fixtures';

type Obj = Record<string, any>;
function pod(edit: (p: Obj) => void = () => undefined): Obj {
  const p = structuredClone(restrictedPod()) as Obj;
  edit(p);
  return p;
}
const privilegedPod = () => pod((p) => (p.spec.containers[0].securityContext.privileged = true));
const netAdminPod = (image = 'registry.example.com/tools/netshoot:1', add = ['NET_ADMIN']) =>
  pod((p) => {
    p.spec.containers[0].image = image;
    p.spec.containers[0].securityContext.capabilities.add = add;
  });

describe('controllers', () => {
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob']) {
    it(`${kind}: evaluates the pod template and names the path inside it`, async () => {
      const d = await evaluate('validate', admission(wrap(kind, privilegedPod())), [policy()], ctx);
      const base = kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
      expect(d.allowed).toBe(false);
      expect(d.violations.map((v) => v.field)).toEqual([`${base}.containers[0].securityContext.privileged`]);
      expect(d.violations[0].rule).toBe('pss'); // autogen rules report the Pod rule's name
      const ok = await evaluate('validate', admission(wrap(kind, restrictedPod())), [policy()], ctx);
      expect(ok.allowed).toBe(true);
      expect(ok.results).toEqual([{ policy: 'pod-security', rule: 'pss', ruleType: 'podSecurity', result: 'pass' }]);
    });
  }

  it('reads AppArmor annotations from the template metadata, not the controller metadata', async () => {
    const key = 'container.apparmor.security.beta.kubernetes.io/app';
    const onTemplate = wrap('Deployment', pod((p) => (p.metadata.annotations = { [key]: 'unconfined' })));
    const d = await evaluate('validate', admission(onTemplate), [policy()], ctx);
    expect(d.violations.map((v) => v.field)).toEqual([`spec.template.metadata.annotations["${key}"]`]);
    const onController = wrap('Deployment', restrictedPod()) as Obj;
    onController.metadata.annotations = { [key]: 'unconfined' };
    expect((await evaluate('validate', admission(onController), [policy()], ctx)).allowed).toBe(true);
  });
});

describe('exemptions', () => {
  const run = async (p = policy(), obj: Obj = privilegedPod(), over = {}) => evaluate('validate', admission(obj, over), [p], ctx);

  it('by control', async () => {
    const p = policy({ exemptions: [exemption({ controls: [{ control: 'privileged' }] })] });
    const d = await run(p);
    expect(d.allowed).toBe(true);
    expect(d.results[0].result).toBe('exempt');
    // other controls still apply
    const both = pod((p2) => {
      p2.spec.containers[0].securityContext.privileged = true;
      p2.spec.hostPID = true;
    });
    expect((await run(p, both)).violations.map((v) => v.control)).toEqual(['hostNamespaces']);
  });

  it('by control + image glob, only for matching containers', async () => {
    const p = policy({
      exemptions: [exemption({ controls: [{ control: 'capabilities_restricted', images: ['registry.example.com/tools/*'] }] })],
    });
    expect((await run(p, netAdminPod())).allowed).toBe(true);
    const other = netAdminPod('registry.example.com/team/app:1');
    expect((await run(p, other)).violations.map((v) => v.control)).toEqual(['capabilities_restricted']);
    // the glob never extends the host
    expect((await run(p, netAdminPod('registry.example.com.evil.io/tools/x:1'))).allowed).toBe(false);
    // an image-scoped entry never relieves a pod-level finding
    const q = policy({ exemptions: [exemption({ controls: [{ control: 'hostNamespaces', images: ['**'] }] })] });
    expect((await run(q, pod((x) => (x.spec.hostNetwork = true)))).allowed).toBe(false);
  });

  it('by control + field + values: other values still fail, and the message names only them', async () => {
    const p = policy({
      exemptions: [
        exemption({ name: 'net-admin', controls: [{ control: 'capabilities_restricted', field: 'capabilities.add', values: ['NET_ADMIN'] }] }),
      ],
    });
    expect((await run(p, netAdminPod())).allowed).toBe(true);
    const d = await run(p, netAdminPod(undefined, ['NET_ADMIN', 'SYS_ADMIN']));
    expect(d.allowed).toBe(false);
    expect(d.violations).toHaveLength(1);
    expect(d.violations[0].message).toContain('SYS_ADMIN');
    expect(d.violations[0].message).toContain('(exempted: NET_ADMIN)');
    // the values do not relieve a different field of the same control (drop ALL missing)
    const noDrop = netAdminPod();
    noDrop.spec.containers[0].securityContext.capabilities.drop = [];
    expect((await run(p, noDrop)).violations.map((v) => v.field)).toEqual([
      'spec.containers[0].securityContext.capabilities.drop',
    ]);
    // the full securityContext path works as the field name too
    const q = policy({
      exemptions: [exemption({ controls: [{ control: 'capabilities_restricted', field: 'securityContext.capabilities.add', values: ['NET_ADMIN'] }] })],
    });
    expect((await run(q, netAdminPod())).allowed).toBe(true);
  });

  it('by control + field + values for pod-level findings (hostPath paths)', async () => {
    const p = policy({
      rules: [{ name: 'pss', type: 'podSecurity', level: 'baseline', version: 'latest', target: POD_TARGET }],
      exemptions: [exemption({ controls: [{ control: 'hostPathVolumes', field: 'hostPath.path', values: ['/var/log'] }] })],
    });
    const vol = (path: string) => pod((x) => (x.spec.volumes = [{ name: 'h', hostPath: { path } }]));
    expect((await run(p, vol('/var/log'))).allowed).toBe(true);
    const d = await run(p, vol('/var/run/docker.sock'));
    expect(d.violations.map((v) => v.field)).toEqual(['spec.volumes[0].hostPath']);
    expect(d.violations[0].message).toContain('spec.volumes[0].hostPath.path=/var/run/docker.sock is not allowed');
  });

  it('by namespace', async () => {
    const p = policy({ exemptions: [exemption({ namespaces: ['legacy-*'], controls: [{ control: 'privileged' }] })] });
    expect((await run(p, privilegedPod(), { namespace: 'legacy-billing' })).allowed).toBe(true);
    expect((await run(p, privilegedPod(), { namespace: 'apps' })).allowed).toBe(false);
  });

  it('by namespace selector (only when the namespace labels are known) and object selector', async () => {
    const p = policy({ exemptions: [exemption({ namespaceSelector: { matchLabels: { tier: 'lab' } }, controls: [] })] });
    expect((await run(p, privilegedPod(), { namespaceLabels: { tier: 'lab' } })).allowed).toBe(true);
    expect((await run(p, privilegedPod(), { namespaceLabels: { tier: 'prod' } })).allowed).toBe(false);
    expect((await run(p, privilegedPod())).allowed).toBe(false); // labels unknown: fail closed
    const q = policy({ exemptions: [exemption({ objectSelector: { matchLabels: { app: 'p' } }, controls: [{ control: 'privileged' }] })] });
    expect((await run(q)).allowed).toBe(true);
    const other = privilegedPod();
    other.metadata.labels = { app: 'q' };
    expect((await run(q, other)).allowed).toBe(false);
  });

  it('expired: no longer applies, and the message says so', async () => {
    const p = policy({
      exemptions: [exemption({ name: 'old-debug', owner: 'team-x', expiresAt: '2026-01-01T00:00:00Z', controls: [{ control: 'privileged' }] })],
    });
    const d = await run(p);
    expect(d.allowed).toBe(false);
    expect(d.violations[0].expiredExemption).toBe('old-debug');
    expect(d.violations[0].message).toContain('Exemption "old-debug" (owner team-x) expired at 2026-01-01T00:00:00Z');
    const later = await evaluate('validate', admission(privilegedPod()), [p], { ...ctx, now: new Date('2025-12-31T00:00:00Z') });
    expect(later.allowed).toBe(true);
  });
});

/** A verifyImages rule over every image, with one key attestor whose key text is `publicKey`. */
function signedRule(publicKey: string): Rule {
  return {
    name: 'signed',
    type: 'verifyImages',
    target: POD_TARGET,
    imageReferences: ['**'],
    attestors: [{ entries: [{ type: 'key', name: 'k', publicKey }] }],
    required: true,
    mutateDigest: false,
    verifyDigest: false,
    requestTimeoutMs: 1000,
    cacheTtlSeconds: 0,
    negativeCacheTtlSeconds: 0,
    registries: [{ host: 'registry.example.com' }],
  };
}

describe('modes, messages, errors', () => {
  it('Enforce denies with one message line per violation', async () => {
    const d = await evaluate('validate', admission(privilegedPod()), [policy()], ctx);
    expect(d.violations[0].message).toBe(
      '[pod-security/pss] privileged: container "app" securityContext.privileged=true is not allowed (allowed: false or unset). ' +
        'To request an exemption: open a ticket in #platform',
    );
    expect(d.violations[0]).toMatchObject({ policy: 'pod-security', rule: 'pss', control: 'privileged', container: 'app', mode: 'Enforce' });
    expect(d.results).toEqual([{ policy: 'pod-security', rule: 'pss', ruleType: 'podSecurity', result: 'fail' }]);
  });

  it('Audit admits with warnings', async () => {
    const d = await evaluate('validate', admission(privilegedPod()), [policy({ mode: 'Audit' })], ctx);
    expect(d.allowed).toBe(true);
    expect(d.violations).toEqual([]);
    expect(d.warnings.map((w) => w.control)).toEqual(['privileged']);
    expect(d.results[0].result).toBe('warn');
  });

  it('a family that throws becomes an error, never a verdict or a crash', async () => {
    const rule = signedRule('not a key');
    const p = policy({ name: 'images', rules: [rule] });
    const d = await evaluate('validate', admission(restrictedPod()), [p], ctx); // no ImageVerifier in the context
    expect(d.errors.map((e) => e.policy)).toEqual(['images']);
    expect(d.allowed).toBe(true);
    expect(d.results[0].result).toBe('error');
    expect((await evaluateOffline(admission(restrictedPod()), [p], ctx)).allowed).toBe(false); // failurePolicy Fail
    const ignore = policy({ name: 'images', rules: [rule], failurePolicy: 'Ignore' });
    expect((await evaluateOffline(admission(restrictedPod()), [ignore], ctx)).allowed).toBe(true);
  });
});

describe('evaluateNow', () => {
  const signed = signedRule('unused by the stub verifier');
  // Answers after a timer turn, like a registry round trip; refuses one image.
  const images: ImageVerifier = {
    resolveDigest: () => Promise.resolve(`sha256:${'a'.repeat(64)}`),
    verify: (image) => new Promise((resolve) => setTimeout(() => resolve({ image, digest: `sha256:${'a'.repeat(64)}`, verified: !image.includes('evil') }), 5)),
  };

  it('answers synchronously when no rule waits, with the same decision as evaluate', async () => {
    const input = admission(privilegedPod());
    const now = evaluateNow('validate', input, [policy()], ctx);
    expect(now).not.toBeInstanceOf(Promise);
    expect(now).toEqual(await evaluate('validate', input, [policy()], ctx));
  });

  it('after a rule that waits, runs the remaining rules in bundle order', async () => {
    const pod = restrictedPod({ container: { privileged: true } }) as { spec: { containers: { image: string }[] } };
    pod.spec.containers[0].image = `registry.example.com/evil/app@sha256:${'a'.repeat(64)}`;
    const policies = [policy({ name: 'images', rules: [signed] }), policy()];
    const pending = evaluateNow('validate', admission(pod), policies, { ...ctx, images });
    expect(pending).toBeInstanceOf(Promise);
    const d = await pending;
    expect(d.results.map((r) => `${r.policy}:${r.result}`)).toEqual(['images:fail', 'pod-security:fail']);
    expect(d.violations.map((v) => v.control)).toEqual(['verifyImages', 'privileged']);
  });
});

describe('operations and updates', () => {
  it('DELETE and CONNECT are never evaluated', async () => {
    for (const operation of ['DELETE', 'CONNECT'] as const) {
      const d = await evaluate('validate', admission(privilegedPod(), { operation }), [policy()], ctx);
      expect(d).toMatchObject({ allowed: true, violations: [], results: [] });
    }
  });

  it('an UPDATE that changes nothing the checks read is not re-denied', async () => {
    const old = privilegedPod();
    const relabelled = structuredClone(old);
    relabelled.metadata.labels.team = 'b';
    relabelled.status = { phase: 'Running' };
    const d = await evaluate('validate', admission(relabelled, { operation: 'UPDATE', oldObject: old }), [policy()], ctx);
    expect(d.allowed).toBe(true);
    expect(d.results[0].result).toBe('skip');
    const scaled = wrap('Deployment', privilegedPod()) as Obj;
    const scaledNew = structuredClone(scaled);
    scaledNew.spec.replicas = 5;
    expect((await evaluate('validate', admission(scaledNew, { operation: 'UPDATE', oldObject: scaled }), [policy()], ctx)).allowed).toBe(true);
  });

  it('an UPDATE that changes the pod spec or its annotations is evaluated', async () => {
    const old = privilegedPod();
    const newImage = structuredClone(old);
    newImage.spec.containers[0].image = 'registry.example.com/team/app:2.0';
    expect((await evaluate('validate', admission(newImage, { operation: 'UPDATE', oldObject: old }), [policy()], ctx)).allowed).toBe(false);
    const okOld = restrictedPod();
    const annotated = structuredClone(okOld) as Obj;
    annotated.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' };
    expect((await evaluate('validate', admission(annotated, { operation: 'UPDATE', oldObject: okOld }), [policy()], ctx)).allowed).toBe(false);
  });

  it('kubectl debug (pods/ephemeralcontainers) is evaluated like a Pod', async () => {
    const old = restrictedPod() as Obj;
    const debugged = structuredClone(old);
    debugged.spec.ephemeralContainers = [{ name: 'debugger', image: 'busybox', securityContext: { privileged: true } }];
    const d = await evaluate(
      'validate',
      admission(debugged, { operation: 'UPDATE', oldObject: old, subResource: 'ephemeralcontainers' }),
      [policy()],
      ctx,
    );
    expect(d.allowed).toBe(false);
    expect(d.violations.map((v) => `${v.control}:${v.container}`)).toEqual(
      expect.arrayContaining(['privileged:debugger', 'allowPrivilegeEscalation:debugger', 'capabilities_restricted:debugger']),
    );
  });

  it('status and other subresources are never evaluated', async () => {
    const d = await evaluate('validate', admission(privilegedPod(), { operation: 'UPDATE', oldObject: {}, subResource: 'status' }), [policy()], ctx);
    expect(d.results).toEqual([]);
  });
});

describe('evaluateOffline: mutate, apply, validate', () => {
  const defaults = (p: Partial<Parameters<typeof policy>[0]> = {}) =>
    policy({
      name: 'defaults',
      rules: [
        { name: 'seccomp', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: POD_TARGET },
        { name: 'autogen-deployment-seccomp', autogenFrom: 'seccomp', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: CONTROLLER_TARGETS.Deployment },
        { name: 'resources', type: 'defaultResources', requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' }, target: POD_TARGET },
      ],
      ...p,
    });
  const noSeccomp = () => pod((p) => delete p.spec.securityContext.seccompProfile);

  it('validation sees the mutated object', async () => {
    const input = admission(noSeccomp());
    expect((await evaluate('validate', input, [policy()], ctx)).allowed).toBe(false);
    const r = await evaluateOffline(input, [defaults(), policy()], ctx);
    expect(r.allowed).toBe(true);
    expect(r.mutation.patches).toEqual(
      expect.arrayContaining([{ op: 'add', path: '/spec/securityContext/seccompProfile', value: { type: 'RuntimeDefault' } }]),
    );
    expect((r.patched as Obj).spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect((r.patched as Obj).spec.containers[0].resources.requests).toEqual({ cpu: '100m', memory: '128Mi' });
    expect((input.object as Obj).spec.securityContext.seccompProfile).toBeUndefined(); // input untouched
  });

  it('patches target the pod template of controllers', async () => {
    const r = await evaluateOffline(admission(wrap('Deployment', noSeccomp())), [defaults(), policy()], ctx);
    expect(r.allowed).toBe(true);
    expect(r.mutation.patches.map((p) => p.path)).toContain('/spec/template/spec/securityContext/seccompProfile');
  });

  it('mutations apply in order: each mutator sees the previous result', async () => {
    const twice = policy({
      name: 'defaults',
      rules: [
        { name: 'a', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: POD_TARGET },
        { name: 'b', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: POD_TARGET },
      ],
    });
    const r = await evaluate('mutate', admission(noSeccomp()), [twice], ctx);
    expect(r.patches).toHaveLength(1); // the second saw the first's result and added nothing
  });

  it('a validation denial in Enforce makes the offline result deny', async () => {
    const r = await evaluateOffline(admission(privilegedPod()), [defaults(), policy()], ctx);
    expect(r.allowed).toBe(false);
    expect(r.validation.violations.map((v) => v.control)).toEqual(['privileged']);
  });
});
