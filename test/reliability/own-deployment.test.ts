/**
 * The runtime's own synthesized Deployment (dist/30-runtime.k8s.yaml) passes what Portcullis
 * enforces on everyone else, evaluated by the engine itself: restricted Pod Security at every
 * policy version, host isolation (namespaces, hostPath, runtime socket), and the reference policy
 * set's resource limits — as if its namespace were not excluded.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateBundle, type Bundle, type Policy } from '../../runtime/bundle';
import { evaluate } from '../../runtime/engine/evaluate';
import type { AdmissionInput } from '../../runtime/engine/types';
import { enforceBundle, NOW, PATHS, policiesOf, withAutogen } from './fixtures';

const DIST = resolve(__dirname, '../../dist');
const SECURITY_RULES = new Set(['podSecurity', 'hostPaths', 'denyRuntimeSocket', 'hostNamespaces', 'requireResources', 'disallowLatestTag', 'defaultSeccomp']);

function runtimeDeployment(): Record<string, unknown> {
  const docs = parseAllDocuments(readFileSync(resolve(DIST, '30-runtime.k8s.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  const deployment = docs.find((d) => d.kind === 'Deployment');
  if (deployment === undefined) throw new Error('dist/30-runtime.k8s.yaml holds no Deployment');
  return deployment;
}

function input(object: Record<string, unknown>): AdmissionInput {
  const meta = object.metadata as { name: string; namespace: string };
  return {
    uid: 'own',
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    operation: 'CREATE',
    namespace: meta.namespace,
    name: meta.name,
    object,
  };
}

/** Every policy version the bundle schema accepts up to the newest PSS revision, and `latest`. */
const VERSIONS = ['latest', ...Array.from({ length: 38 }, (_, i) => `v1.${i}`)];

function restrictedAt(version: string): Policy {
  const bundle = enforceBundle();
  const base = bundle.policies.find((p) => p.name === 'pod-security')!;
  return { ...base, name: `restricted-${version.replace('.', '-')}`, rules: withAutogen('restricted', { type: 'podSecurity', level: 'restricted', version }) };
}

describe("the runtime's own Deployment", () => {
  const deployment = runtimeDeployment();
  // Evaluated as if its namespace were not excluded: no excludedNamespaces in the context.
  const context = { now: NOW };

  it('lives in the namespace admission excludes, yet would pass anyway', () => {
    expect((deployment.metadata as { namespace: string }).namespace).toBe('portcullis-system');
  });

  it('passes restricted Pod Security at every policy version and host isolation', async () => {
    const policies = validateBundle({ ...enforceBundle(), policies: [...VERSIONS.map(restrictedAt), ...enforceBundle().policies], webhooks: [] }).bundle.policies;
    const decision = await evaluate('validate', input(deployment), policies, context);
    expect(decision.errors).toEqual([]);
    expect(decision.violations.map((v) => v.message)).toEqual([]);
    // It was evaluated, not skipped: every restricted rule ran on the Deployment template.
    // (plus the fixture bundle's own restricted/latest policy).
    expect(decision.results.filter((r) => r.ruleType === 'podSecurity' && r.result === 'pass').length).toBe(VERSIONS.length + 1);
  });

  it("passes the reference policy set's security rules (dist/portcullis-bundle.json) turned to Enforce", async () => {
    const bundle = JSON.parse(readFileSync(resolve(DIST, 'portcullis-bundle.json'), 'utf8')) as Bundle;
    // The workload-facing rules of the payments team (their registry, their labels, signatures
    // by their key, digest pinning) are not about the runtime's hardening: see docs/security.md.
    const enforced = bundle.policies
      .map((p) => ({ ...p, mode: 'Enforce' as const, rules: p.rules.filter((r) => SECURITY_RULES.has(r.type)) }))
      .filter((p) => p.rules.length > 0);
    const decision = await evaluate('validate', input(deployment), enforced, context);
    expect(decision.errors).toEqual([]);
    expect(decision.violations.map((v) => v.message)).toEqual([]);
    expect(decision.results.some((r) => r.ruleType === 'requireResources' && r.result === 'pass')).toBe(true);
  });

  it('would be denied if it regressed (the check is live)', async () => {
    const regressed = structuredClone(deployment) as { spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } } };
    regressed.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    const decision = await evaluate('validate', input(regressed), policiesOf(enforceBundle(), PATHS.validate), context);
    expect(decision.allowed).toBe(false);
  });
});
