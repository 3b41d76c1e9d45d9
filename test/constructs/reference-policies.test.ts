/**
 * The payments-platform reference set: the team's values flow from policies/config.ts into the
 * bundle, the gradual policies start in Audit, one config line flips a policy to Enforce, and the
 * seeds' bad workloads are reported (Audit) or denied (Enforce) by the engine with the mutations
 * applied first.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceApp } from '../../policies/app';
import { config, type TeamConfig } from '../../policies/config';
import type { Bundle, Policy, Rule } from '../../runtime/bundle';
import { evaluateOffline } from '../../runtime/engine/evaluate';
import type { AdmissionInput } from '../../runtime/engine/types';
import { tempDir } from './helpers';

function bundleOf(cfg: TeamConfig = config): Bundle {
  return createReferenceApp({ outdir: tempDir(), now: new Date('2026-11-01T00:00:00Z') }, cfg).build().bundle;
}

function policy(b: Bundle, name: string): Policy {
  const p = b.policies.find((x) => x.name === name);
  if (p === undefined) throw new Error(`no policy ${name}`);
  return p;
}

function podRule<T extends Rule['type']>(p: Policy, type: T): Extract<Rule, { type: T }> {
  const r = p.rules.find((x) => x.type === type && x.autogenFrom === undefined);
  if (r === undefined) throw new Error(`no ${type} rule in ${p.name}`);
  return r as Extract<Rule, { type: T }>;
}

function podInput(spec: Record<string, unknown>, labels: Record<string, string> = {}): AdmissionInput {
  return {
    uid: 'u1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    namespace: 'payments',
    name: 'web',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'payments', labels }, spec },
    namespaceLabels: { 'kubernetes.io/metadata.name': 'payments', 'payments.example.com/environment': 'production' },
  };
}

const allEnforce: TeamConfig = {
  ...config,
  modes: Object.fromEntries(Object.keys(config.modes).map((k) => [k, 'Enforce'])) as unknown as TeamConfig['modes'],
};

describe('the payments-platform reference policy set', () => {
  const b = bundleOf();

  it('ships every policy the seeds ask for, gradual ones in Audit', () => {
    expect(b.policies.map((p) => [p.name, p.mode])).toEqual([
      ['resource-defaults', 'Enforce'],
      ['seccomp-default', 'Enforce'],
      ['image-signatures', 'Enforce'],
      ['image-provenance', 'Audit'],
      ['resource-limits', 'Audit'],
      ['pod-security', 'Audit'],
      ['image-references', 'Audit'],
      ['host-isolation', 'Audit'],
      ['required-labels', 'Audit'],
    ]);
  });

  it('requires CI keyless signatures or the release key on the team registry, pinning digests', () => {
    const v = podRule(policy(b, 'image-signatures'), 'verifyImages');
    expect(v.imageReferences).toEqual(['registry.payments.example.com/**']);
    expect(v.registries).toEqual([{ host: 'registry.payments.example.com' }]);
    expect(v).toMatchObject({ mutateDigest: true, verifyDigest: true, required: true });
    expect(v.attestors).toEqual([
      {
        count: 1,
        entries: [
          { type: 'keyless', name: 'ci-keyless', identities: [{ issuer: 'https://token.actions.githubusercontent.com', subject: config.ci.subject }] },
          { type: 'key', name: 'payments-release-key', publicKey: config.signingKey.publicKeyPem },
        ],
      },
    ]);
    expect(config.ci.subject).toMatch(/^https:\/\/github\.com\/payments-example\/.+@refs\/heads\/main$/);
    expect(config.signingKey.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('audits SLSA provenance from the CI builder (signed by the CI identity), for an org repository at main or a release tag', () => {
    const p = policy(b, 'image-provenance');
    expect(p).toMatchObject({ mode: 'Audit', failurePolicy: 'Ignore' });
    const v = podRule(p, 'verifyAttestations');
    expect(v.imageReferences).toEqual(['registry.payments.example.com/**']);
    expect(v.registries).toEqual([{ host: 'registry.payments.example.com' }]);
    expect(v.attestations).toEqual([
      {
        name: 'provenance',
        kind: 'slsaProvenance',
        attestors: [{ entries: [{ type: 'keyless', name: 'ci-keyless', identities: [{ issuer: config.ci.issuer, subject: config.ci.subject }] }] }],
        predicateTypes: ['https://slsa.dev/provenance/v0.2', 'https://slsa.dev/provenance/v1'],
        builderId: { exact: config.provenance.builderId },
        sourceRepository: { pattern: config.provenance.sourceRepositoryPattern },
        sourceRef: { pattern: config.provenance.sourceRefPattern },
      },
    ]);
    const ref = new RegExp(`^(?:${config.provenance.sourceRefPattern})$`);
    expect(['refs/heads/main', 'refs/tags/v1.2.3'].every((r) => ref.test(r))).toBe(true);
    expect(['refs/heads/main-unreviewed', 'refs/heads/dev', 'refs/tags/v1.2'].some((r) => ref.test(r))).toBe(false);
  });

  it('defaults 100m/128Mi requests and 500m/512Mi limits, then requires cpu/memory limits', () => {
    expect(podRule(policy(b, 'resource-defaults'), 'defaultResources')).toMatchObject({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
    expect(podRule(policy(b, 'resource-limits'), 'requireResources')).toMatchObject({ limits: ['cpu', 'memory'], requests: [] });
  });

  it('enforces restricted PSS with an owned, expiring NET_ADMIN/NET_RAW exemption for the network tools', () => {
    const pss = policy(b, 'pod-security');
    expect(podRule(pss, 'podSecurity')).toMatchObject({ level: 'restricted', version: 'latest' });
    const ex = pss.exemptions.find((e) => e.name === 'network-tools');
    expect(ex).toMatchObject({ owner: 'team-platform-network', expiresAt: '2027-03-31T00:00:00Z', namespaces: ['platform-network'] });
    expect(ex?.reason).not.toBe('');
    expect(ex?.controls).toContainEqual({
      control: 'capabilities_restricted',
      images: ['registry.payments.example.com/platform/network-tools'],
      field: 'capabilities.add',
      values: ['NET_ADMIN', 'NET_RAW'],
    });
  });

  it('allows only the team registry by digest, hostPath only /var/log read-only, no sockets or host namespaces, labels in production', () => {
    const refs = policy(b, 'image-references');
    expect(refs.rules.filter((r) => r.autogenFrom === undefined).map((r) => r.type)).toEqual(['allowedRegistries', 'requireDigest', 'disallowLatestTag']);
    expect(podRule(refs, 'allowedRegistries').allowed).toEqual(['registry.payments.example.com/**']);
    const host = policy(b, 'host-isolation');
    expect(podRule(host, 'hostPaths').allowed).toEqual([{ pathPrefix: '/var/log', readOnly: true }]);
    expect(podRule(host, 'denyRuntimeSocket').sockets).toContain('/var/run/docker.sock');
    expect(podRule(host, 'hostNamespaces').deny).toEqual(['hostIPC', 'hostNetwork', 'hostPID']);
    const labels = policy(b, 'required-labels');
    expect(labels.match.namespaceSelector).toEqual({ matchLabels: { 'payments.example.com/environment': 'production' } });
    expect(podRule(labels, 'requireLabels').labels.map((l) => l.key)).toEqual(['owner', 'team', 'version', 'environment']);
    expect(podRule(policy(b, 'seccomp-default'), 'defaultSeccomp').profile).toBe('RuntimeDefault');
  });

  it('flips one policy to Enforce with one config line, changing nothing else', () => {
    const flipped = bundleOf({ ...config, modes: { ...config.modes, podSecurity: 'Enforce' } });
    expect(policy(flipped, 'pod-security').mode).toBe('Enforce');
    const strip = (x: Bundle) => JSON.stringify({ ...x, policies: x.policies.filter((p) => p.name !== 'pod-security') });
    expect(strip(flipped)).toBe(strip(b));
    expect({ ...policy(flipped, 'pod-security'), mode: 'Audit' }).toEqual(policy(b, 'pod-security'));
  });

  it('reports the seeds\' bad pod in Audit (admitted with warnings) and denies it in Enforce', async () => {
    const badPod = {
      containers: [{ name: 'web', image: 'nginx:latest', securityContext: { privileged: true, runAsUser: 0 } }],
    };
    const audit = await evaluateOffline(podInput(badPod), b.policies, { now: new Date('2026-11-01T00:00:00Z') });
    expect(audit.allowed).toBe(true);
    // Defaults were mutated in first, so the limits check passes on the patched pod.
    expect(audit.mutation.patches.some((p) => p.path.includes('/resources'))).toBe(true);
    const warned = new Set(audit.validation.warnings.map((w) => w.policy));
    expect([...warned].sort()).toEqual(['image-references', 'pod-security', 'required-labels']);
    expect(audit.validation.warnings.some((w) => w.policy === 'resource-limits')).toBe(false);

    const enforced = bundleOf(allEnforce);
    const deny = await evaluateOffline(podInput(badPod), enforced.policies, { now: new Date('2026-11-01T00:00:00Z') });
    expect(deny.allowed).toBe(false);
    const controls = deny.validation.violations.map((v) => `${v.policy}:${v.control}`);
    expect(controls).toEqual(expect.arrayContaining(['pod-security:privileged', 'pod-security:runAsNonRoot', 'image-references:allowedRegistries', 'image-references:disallowLatestTag']));
    expect(deny.validation.violations.every((v) => v.message.length > 0)).toBe(true);
  });
});
