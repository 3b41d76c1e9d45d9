/**
 * Every synth-time validation: impossible or contradictory settings fail synth with a message that
 * names the construct path, the source file and the fix; the corrected setting synthesizes.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AllowedRegistries,
  DefaultResources,
  Exemption,
  HostPaths,
  keyAttestor,
  keylessAttestor,
  PodSecurity,
  Policy,
  RequireLabels,
  RequireResources,
  SYNTH_NOW_ENV,
  VerifyImages,
  type PortcullisApp,
} from '../../constructs';
import { newApp, synthError } from './helpers';

const THIS_FILE = 'test/constructs/validation.test.ts';
const ecPublicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

function pssPolicy(app: PortcullisApp, id = 'pod-security', props: ConstructorParameters<typeof Policy>[2] = {}): Policy {
  const p = new Policy(app, id, props);
  new PodSecurity(p, 'restricted');
  return p;
}

function verifyPolicy(app: PortcullisApp, mode: 'Audit' | 'Enforce', extra: Partial<ConstructorParameters<typeof VerifyImages>[2]> = {}, timeoutSeconds = 10): Policy {
  const p = new Policy(app, 'signed-images', { mode, timeoutSeconds });
  new VerifyImages(p, 'signed', {
    imageReferences: ['registry.example.com/team/**'],
    attestors: [{ entries: [keyAttestor('release', ecPublicKey)] }],
    registries: [{ host: 'registry.example.com' }],
    ...extra,
  });
  return p;
}

/** Assert one problem mentions the construct path, this file, the reason and a fix. */
function expectProblem(app: PortcullisApp, constructPath: string, reason: RegExp): void {
  const err = synthError(() => app.build());
  const hit = err.problems.find((p) => p.path === constructPath && reason.test(p.message));
  expect(hit, `no problem at ${constructPath} matching ${String(reason)}; got:\n${err.message}`).toBeDefined();
  expect(hit?.message).toMatch(/Fix: /);
  expect(err.message).toContain(`[${constructPath}]`);
  if (hit?.location !== '') expect(hit?.location).toMatch(new RegExp(`^${THIS_FILE}:\\d+$`));
}

describe('synth-time validation', () => {
  it('accepts a correct policy set (the baseline the cases below break)', () => {
    const app = newApp();
    pssPolicy(app);
    verifyPolicy(app, 'Enforce');
    const { bundle } = app.build();
    expect(bundle.policies.map((p) => p.name)).toEqual(['pod-security', 'signed-images']);
  });

  it('rejects digest pinning in Audit mode, and names the construct and its file', () => {
    const app = newApp();
    verifyPolicy(app, 'Audit');
    expectProblem(app, 'signed-images/signed', /mutateDigest.*contradicts mode Audit/);
    const ok = newApp();
    verifyPolicy(ok, 'Audit', { mutateDigest: false });
    expect(() => ok.build()).not.toThrow();
  });

  it('rejects an exemption past its expiry (clock from the app) and accepts it before', () => {
    const build = (now: Date) => {
      const app = newApp({ now });
      const p = pssPolicy(app);
      new Exemption(p, 'net-tools', {
        owner: 'team-net',
        reason: 'packet capture',
        expiresAt: '2026-05-01T00:00:00Z',
        namespaces: ['net'],
        controls: [{ control: 'capabilities_restricted', field: 'capabilities.add', values: ['NET_ADMIN'] }],
      });
      return app;
    };
    expectProblem(build(new Date('2026-06-01T00:00:00Z')), 'pod-security/net-tools', /expired at 2026-05-01T00:00:00.000Z/);
    const { bundle } = build(new Date('2026-04-01T00:00:00Z')).build();
    expect(bundle.policies[0].exemptions[0].expiresAt).toBe('2026-05-01T00:00:00Z');
  });

  it(`takes "now" from ${SYNTH_NOW_ENV} when the app sets no clock, and never writes it into the output`, () => {
    const saved = process.env[SYNTH_NOW_ENV];
    try {
      process.env[SYNTH_NOW_ENV] = '2030-01-01T00:00:00Z';
      const app = newApp({ now: undefined });
      const p = pssPolicy(app);
      new Exemption(p, 'tmp', { owner: 'o', reason: 'r', expiresAt: '2029-12-31T00:00:00Z', namespaces: ['a'], allControls: true });
      expectProblem(app, 'pod-security/tmp', /expired/);
      process.env[SYNTH_NOW_ENV] = '2029-01-01T00:00:00Z';
      const later = newApp({ now: undefined });
      const q = pssPolicy(later);
      new Exemption(q, 'tmp', { owner: 'o', reason: 'r', expiresAt: '2029-12-31T00:00:00Z', namespaces: ['a'], allControls: true });
      const text = later.synthYaml();
      expect(text).not.toContain('2029-01-01');
    } finally {
      if (saved === undefined) delete process.env[SYNTH_NOW_ENV];
      else process.env[SYNTH_NOW_ENV] = saved;
    }
  });

  it('rejects a malformed expiresAt', () => {
    const app = newApp();
    const p = pssPolicy(app);
    new Exemption(p, 'x', { owner: 'o', reason: 'r', expiresAt: 'next tuesday', namespaces: ['a'], allControls: true });
    expectProblem(app, 'pod-security/x', /not an RFC 3339 time/);
  });

  it('rejects an unknown PSS control name and suggests the closest', () => {
    const app = newApp();
    const p = pssPolicy(app);
    new Exemption(p, 'caps', {
      owner: 'o',
      reason: 'r',
      namespaces: ['a'],
      controls: [{ control: 'capabilities_restrictd' as never }],
    });
    expectProblem(app, 'pod-security/caps', /unknown control "capabilities_restrictd" \(did you mean "capabilities_restricted"\?\)/);
  });

  it('rejects a PSS control on a policy without a podSecurity rule', () => {
    const app = newApp();
    const p = new Policy(app, 'registries');
    new AllowedRegistries(p, 'only-ours', { allowed: ['registry.example.com/**'] });
    new Exemption(app, 'priv', { owner: 'o', reason: 'r', policies: [p], namespaces: ['a'], controls: [{ control: 'privileged' }] });
    expectProblem(app, 'priv', /Pod Security control, but none of its policies has a podSecurity rule/);
  });

  for (const t of [0, 31, 2.5]) {
    it(`rejects timeoutSeconds ${t}`, () => {
      const app = newApp();
      pssPolicy(app, 'pod-security', { timeoutSeconds: t });
      expectProblem(app, 'pod-security', /timeoutSeconds .* outside 1–30/);
    });
  }

  const nothing: Array<[string, ConstructorParameters<typeof Policy>[2], RegExp]> = [
    [
      'matchLabels contradicting an In requirement',
      { match: { namespaceSelector: { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] } } },
      /match.namespaceSelector matches nothing by construction: no value of label "env"/,
    ],
    [
      'Exists and DoesNotExist on one key',
      { match: { objectSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }, { key: 'team', operator: 'DoesNotExist' }] } } },
      /match.objectSelector matches nothing by construction: label "team" is required to exist and to be absent/,
    ],
    [
      'match.namespaces naming only namespaces that are never evaluated',
      { match: { namespaces: ['kube-system', 'portcullis-system'] } },
      /match.namespaces .* contains only namespaces that are excluded/,
    ],
    [
      'a match selector that the exclude selector cancels',
      { match: { namespaceSelector: { matchLabels: { env: 'prod' } } }, exclude: { namespaceSelector: { matchLabels: { env: 'prod' } } } },
      /namespace selector \(match AND NOT exclude\) matches nothing/,
    ],
  ];
  for (const [name, props, reason] of nothing) {
    it(`rejects a selector that matches nothing by construction: ${name}`, () => {
      const app = newApp();
      pssPolicy(app, 'pod-security', props);
      expectProblem(app, 'pod-security', reason);
    });
  }

  it('rejects an exclude selector that cannot be negated into a webhook selector', () => {
    const app = newApp();
    pssPolicy(app, 'pod-security', { exclude: { objectSelector: { matchLabels: { a: '1', b: '2' } } } });
    expectProblem(app, 'pod-security', /exclude.objectSelector: a selector with several requirements cannot be negated/);
  });

  it('rejects invalid label keys and values in selectors', () => {
    const app = newApp();
    pssPolicy(app, 'pod-security', { match: { objectSelector: { matchLabels: { 'bad key!': 'x', ok: 'white space' } } } });
    const err = synthError(() => app.build());
    expect(err.message).toMatch(/label key "bad key!" is invalid/);
    expect(err.message).toMatch(/label value "white space" is invalid/);
  });

  it('rejects a bundle over the 1 MiB ConfigMap limit, naming the largest policies', () => {
    const app = newApp();
    const p = new Policy(app, 'huge-labels');
    new RequireLabels(p, 'many', { labels: Array.from({ length: 4000 }, (_, i) => ({ key: `example.com/label-${i}`, valuePattern: 'x'.repeat(20) })) });
    const err = synthError(() => app.build());
    expect(err.problems[0].path).toBe('portcullis');
    expect(err.message).toMatch(/the bundle is \d+ bytes, over the \d+-byte budget of its ConfigMap \(1 MiB limit\)\. Largest policies: huge-labels \d+ KiB/);
  });

  it('rejects a registry request deadline that is not below the webhook timeout', () => {
    const app = newApp();
    verifyPolicy(app, 'Enforce', { requestTimeoutMs: 10_000 }, 10);
    expectProblem(app, 'signed-images/signed', /requestTimeoutMs 10000 is not below the webhook timeout \(10s\)/);
  });

  it('rejects a verifyImages glob with a wildcard host or a host missing from registries (no SSRF)', () => {
    const app = newApp();
    verifyPolicy(app, 'Enforce', { imageReferences: ['*.example.com/**', 'ghcr.io/team/**'] });
    expectProblem(app, 'signed-images/signed', /wildcard registry host/);
    expectProblem(app, 'signed-images/signed', /served by registry "ghcr.io", which is not in registries/);
  });

  it('refuses a private key as an attestor (it would be published)', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const app = newApp();
    verifyPolicy(app, 'Enforce', { attestors: [{ entries: [keyAttestor('oops', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())] }] });
    expectProblem(app, 'signed-images/signed', /holds a PRIVATE key/);
  });

  it('rejects a keyless identity without an issuer and an invalid subject regex', () => {
    const app = newApp();
    verifyPolicy(app, 'Enforce', { attestors: [{ entries: [keylessAttestor('ci', [{ subjectRegExp: '(' }])] }] });
    expectProblem(app, 'signed-images/signed', /exactly one of issuer \/ issuerRegExp/);
    expectProblem(app, 'signed-images/signed', /subjectRegExp is refused by the engine: invalid regular expression/);
  });

  it('rejects a keyless attestor naming an unknown trusted root', () => {
    const app = newApp();
    verifyPolicy(app, 'Enforce', { attestors: [{ entries: [keylessAttestor('ci', [{ subject: 's', issuer: 'i' }], { trustedRoot: 'airgap' })] }] });
    expectProblem(app, 'signed-images/signed', /trusted root "airgap", which the app does not define/);
    const ok = newApp({ trustedRoots: { airgap: { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' } } });
    verifyPolicy(ok, 'Enforce', { attestors: [{ entries: [keylessAttestor('ci', [{ subject: 's', issuer: 'i' }], { trustedRoot: 'airgap' })] }] });
    expect(ok.build().bundle.trust.trustedRoots).toHaveProperty('airgap');
  });

  it('checks trusted-root references of key attestors too', () => {
    const app = newApp();
    verifyPolicy(app, 'Enforce', { attestors: [{ entries: [keyAttestor('release', ecPublicKey, { trustedRoot: 'airgap' })] }] });
    expectProblem(app, 'signed-images/signed', /trusted root "airgap", which the app does not define/);
    expectProblem(app, 'signed-images/signed', /names a trusted root but does not set requireTlog/);
  });

  it('rejects default requests above default limits and invalid quantities', () => {
    const app = newApp();
    const p = new Policy(app, 'defaults', { mode: 'Enforce' });
    new DefaultResources(p, 'defaults', { requests: { cpu: '1', memory: 'lots' }, limits: { cpu: '500m' } });
    expectProblem(app, 'defaults/defaults', /default cpu request 1 exceeds the default cpu limit 500m/);
    expectProblem(app, 'defaults/defaults', /requests.memory "lots" is not a Kubernetes quantity/);
  });

  it('rejects a label pattern the engine would refuse at admission (catastrophic backtracking)', () => {
    const app = newApp();
    const p = new Policy(app, 'labels', { mode: 'Enforce' });
    new RequireLabels(p, 'labels', { labels: [{ key: 'version', valuePattern: '(a+)+b' }] });
    expectProblem(app, 'labels/labels', /valuePattern for "version" is refused by the engine/);
    const ok = newApp();
    const q = new Policy(ok, 'labels', { mode: 'Enforce' });
    new RequireLabels(q, 'labels', { labels: [{ key: 'version', valuePattern: '[a-z0-9]+(-[a-z0-9]+)*' }] });
    expect(() => ok.build()).not.toThrow();
  });

  it('rejects a rule that requires nothing', () => {
    const app = newApp();
    const p = new Policy(app, 'limits');
    new RequireResources(p, 'none', { limits: [], requests: [] });
    expectProblem(app, 'limits/none', /requires nothing/);
  });

  it('rejects a hostPath allow-list entry for "/" and non-normalized paths', () => {
    const app = newApp();
    const p = new Policy(app, 'host');
    new HostPaths(p, 'paths', { allowed: [{ pathPrefix: '/' }, { pathPrefix: '/var/log/../..' }] });
    expectProblem(app, 'host/paths', /"\/" would allow the whole host filesystem/);
    expectProblem(app, 'host/paths', /not a normalized path/);
  });

  it('rejects exemptions that relieve nothing specific, everything everywhere, or are malformed', () => {
    const app = newApp();
    const p = pssPolicy(app);
    new Exemption(p, 'no-controls', { owner: 'o', reason: 'r', namespaces: ['a'] });
    new Exemption(p, 'everyone', { owner: 'o', reason: 'r', controls: [{ control: 'privileged' }] });
    new Exemption(p, 'pod-level-images', { owner: 'o', reason: 'r', controls: [{ control: 'hostNamespaces', images: ['registry.example.com/x'] }] });
    new Exemption(p, 'half-field', { owner: 'o', reason: 'r', namespaces: ['a'], controls: [{ control: 'capabilities_restricted', field: 'capabilities.add' }] });
    new Exemption(p, 'no-owner', { owner: ' ', reason: 'r', namespaces: ['a'], allControls: true });
    expectProblem(app, 'pod-security/no-controls', /lists no controls/);
    expectProblem(app, 'pod-security/everyone', /applies to every workload in the cluster/);
    expectProblem(app, 'pod-security/pod-level-images', /concerns the whole pod, so images cannot narrow it/);
    expectProblem(app, 'pod-security/half-field', /sets field without values/);
    expectProblem(app, 'pod-security/no-owner', /owner is empty/);
    new Exemption(p, 'system-ns', { owner: 'o', reason: 'r', namespaces: ['kube-system'], allControls: true });
    expectProblem(app, 'pod-security/system-ns', /namespace "kube-system" is never evaluated by admission/);
  });

  it('rejects an exemption that belongs to no policy', () => {
    const app = newApp();
    pssPolicy(app);
    new Exemption(app, 'orphan', { owner: 'o', reason: 'r', namespaces: ['a'], allControls: true });
    expectProblem(app, 'orphan', /applies to no policy/);
  });

  it('rejects duplicate policy names, a policy without rules and a bad rule name', () => {
    const app = newApp();
    pssPolicy(app, 'a', { name: 'same' });
    pssPolicy(app, 'b', { name: 'same' });
    new Policy(app, 'empty');
    const p = new Policy(app, 'named');
    new PodSecurity(p, 'Bad_Name');
    const err = synthError(() => app.build());
    expect(err.message).toMatch(/policy name "same" is used by both a and b/);
    expectProblem(app, 'empty', /has no rules/);
    expectProblem(app, 'named/Bad_Name', /rule name "Bad_Name" is not a lowercase DNS label.*e\.g\. "bad-name"/);
  });

  it('rejects an invalid PSS version', () => {
    const app = newApp();
    const p = new Policy(app, 'pss');
    new PodSecurity(p, 'restricted', { version: 'v2.0' as never });
    expectProblem(app, 'pss/restricted', /version "v2.0" is not a Pod Security version/);
  });

  it('refuses a provided TLS bundle that contains a private key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const app = newApp({ tls: { mode: 'provided', secretName: 'tls', caBundlePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } });
    pssPolicy(app);
    expect(synthError(() => app.build()).message).toMatch(/tls.caBundlePem contains a PRIVATE KEY/);
  });

  it('reports every problem at once, not just the first', () => {
    const app = newApp();
    pssPolicy(app, 'one', { timeoutSeconds: 99 });
    verifyPolicy(app, 'Audit');
    const err = synthError(() => app.build());
    expect(err.problems.map((p) => p.path).sort()).toEqual(['one', 'signed-images/signed']);
    expect(err.message).toMatch(/^Portcullis synth failed with 2 problem\(s\):/);
  });

  it('fails `synth()` itself before writing anything', () => {
    const app = newApp();
    verifyPolicy(app, 'Audit');
    expect(() => app.synth()).toThrow(/mutateDigest/);
  });
});

describe('synth warnings', () => {
  it('warns (without failing) about exemptions that expire within 30 days', () => {
    const app = newApp({ now: new Date('2026-06-01T00:00:00Z') });
    const p = pssPolicy(app);
    new Exemption(p, 'soon', { owner: 'team-a', reason: 'r', expiresAt: '2026-06-11T00:00:00Z', namespaces: ['a'], allControls: true });
    new Exemption(p, 'later', { owner: 'team-b', reason: 'r', expiresAt: '2026-12-01T00:00:00Z', namespaces: ['b'], allControls: true });
    expect(app.warnings()).toEqual([
      'exemption pod-security/soon (owner team-a) expires in 10 day(s); synth will fail after that. Renew it through review or plan its removal.',
    ]);
    expect(() => app.build()).not.toThrow();
  });
});
