/** Typed rule and policy fixtures for image tests (validated through the bundle schema). */
import {
  POD_TARGET,
  type AttestationRequirement,
  type AttestorSet,
  type Bundle,
  type Policy,
  type Registry,
  type Rule,
  type VerifyAttestationsRule,
  type VerifyImagesRule,
  type Webhook,
} from '../../runtime/bundle';
import { validBundle } from '../helpers/bundles';

export function verifyRule(registries: Registry[], attestors: AttestorSet[], overrides: Partial<VerifyImagesRule> = {}): VerifyImagesRule {
  const rule: VerifyImagesRule = {
    name: 'signed-images',
    type: 'verifyImages',
    target: POD_TARGET,
    imageReferences: registries.map((r) => `${r.host}/**`),
    attestors,
    required: true,
    mutateDigest: true,
    verifyDigest: false,
    requestTimeoutMs: 3000,
    cacheTtlSeconds: 300,
    negativeCacheTtlSeconds: 0,
    registries,
    ...overrides,
  };
  return rule;
}

export function attestationsRule(
  registries: Registry[],
  attestations: AttestationRequirement[],
  overrides: Partial<VerifyAttestationsRule> = {},
): VerifyAttestationsRule {
  return {
    name: 'attested-images',
    type: 'verifyAttestations',
    target: POD_TARGET,
    imageReferences: registries.map((r) => `${r.host}/**`),
    attestations,
    requestTimeoutMs: 3000,
    cacheTtlSeconds: 300,
    negativeCacheTtlSeconds: 0,
    registries,
    ...overrides,
  };
}

export function keySet(...keys: { name: string; publicKeyPem: string; requireTlog?: boolean }[]): AttestorSet {
  return { entries: keys.map((k) => ({ type: 'key', name: k.name, publicKey: k.publicKeyPem, ...(k.requireTlog ? { requireTlog: true } : {}) })) };
}

export function policyWith(rule: Rule, mode: Policy['mode'] = 'Enforce'): Policy {
  return {
    name: 'images',
    mode,
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    controllers: [],
    match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
    rules: [rule],
    exemptions: [],
    exemptionHelp: 'ask #platform',
  };
}

/** A bundle holding `policies` and trusted roots; validated so tests never use an invalid one. */
export function bundleWith(policies: Policy[], trustedRoots: Record<string, unknown> = {}): Bundle {
  const webhook = (type: Webhook['type'], path: string): Webhook => ({
    name: `${path.slice(1).replace(/\//g, '-')}.portcullis.dev`,
    type,
    path,
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    namespaceSelector: {},
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }],
    policies: policies.map((p) => p.name),
  });
  return validBundle('images-test', policies, [webhook('mutating', '/mutate/fail-10s'), webhook('validating', '/validate/fail-10s')], trustedRoots);
}
