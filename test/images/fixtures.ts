/** Typed rule and policy fixtures for image tests (validated through the bundle schema). */
import { BUNDLE_API_VERSION, POD_TARGET, validateBundle, type AttestorSet, type Bundle, type Policy, type Registry, type VerifyImagesRule } from '../../runtime/bundle';

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

export function keySet(...keys: { name: string; publicKeyPem: string; requireTlog?: boolean }[]): AttestorSet {
  return { entries: keys.map((k) => ({ type: 'key', name: k.name, publicKey: k.publicKeyPem, ...(k.requireTlog ? { requireTlog: true } : {}) })) };
}

export function policyWith(rule: VerifyImagesRule, mode: Policy['mode'] = 'Enforce'): Policy {
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
  const bundle: Bundle = {
    apiVersion: BUNDLE_API_VERSION,
    kind: 'RuleBundle',
    metadata: { name: 'images-test', runtimeNamespace: 'portcullis-system' },
    policies,
    webhooks: [
      {
        name: 'mutate-fail-10s.portcullis.dev',
        type: 'mutating',
        path: '/mutate/fail-10s',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        namespaceSelector: {},
        rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }],
        policies: policies.map((p) => p.name),
      },
      {
        name: 'validate-fail-10s.portcullis.dev',
        type: 'validating',
        path: '/validate/fail-10s',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        namespaceSelector: {},
        rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }],
        policies: policies.map((p) => p.name),
      },
    ],
    trust: { trustedRoots },
  };
  return validateBundle(bundle).bundle;
}
