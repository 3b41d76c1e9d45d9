import { describe, expect, it } from 'vitest';
import {
  BUNDLE_API_VERSION,
  BundleError,
  bundleHash,
  canonicalJson,
  loadBundle,
  POD_TARGET,
  validateBundle,
  type Bundle,
} from '../../runtime/bundle';

function sampleBundle(): Bundle {
  return {
    apiVersion: BUNDLE_API_VERSION,
    kind: 'RuleBundle',
    metadata: { name: 'sample', runtimeNamespace: 'portcullis-system' },
    policies: [
      {
        name: 'pod-security',
        mode: 'Enforce',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        controllers: [],
        match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
        rules: [{ name: 'restricted', type: 'podSecurity', level: 'restricted', version: 'latest', target: POD_TARGET }],
        exemptions: [
          {
            name: 'net-tools',
            owner: 'platform',
            reason: 'packet capture',
            expiresAt: '2027-01-01T00:00:00Z',
            controls: [{ control: 'capabilities_restricted', field: 'capabilities.add', values: ['NET_ADMIN'] }],
          },
        ],
      },
    ],
    webhooks: [
      {
        name: 'validate-fail-10s.portcullis.dev',
        type: 'validating',
        path: '/validate/fail-10s',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
        },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }],
        policies: ['pod-security'],
      },
    ],
    trust: { trustedRoots: {} },
  };
}

function reversedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reversedKeys(x)]),
    );
  }
  return v;
}

describe('canonical JSON and hash', () => {
  it('is independent of key order', () => {
    const b = sampleBundle();
    expect(canonicalJson(reversedKeys(b))).toBe(canonicalJson(b));
    expect(bundleHash(reversedKeys(b))).toBe(bundleHash(b));
    expect(bundleHash(b)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
  it('changes when content changes', () => {
    const a = sampleBundle();
    const b = sampleBundle();
    b.policies[0].mode = 'Audit';
    expect(bundleHash(a)).not.toBe(bundleHash(b));
  });
  it('sorts keys and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [{ z: 1, y: 2 }] } })).toBe('{"a":{"c":[{"y":2,"z":1}]},"b":1}');
  });
});

describe('loading', () => {
  it('accepts a valid bundle and reports hash and size', () => {
    const text = JSON.stringify(sampleBundle());
    const loaded = loadBundle(text);
    expect(loaded.bundle.policies[0].name).toBe('pod-security');
    expect(loaded.hash).toBe(bundleHash(sampleBundle()));
    expect(loaded.size).toBe(canonicalJson(sampleBundle()).length);
  });

  const cases: Array<[string, (b: Record<string, unknown>) => void, string, RegExp]> = [
    ['unknown apiVersion', (b) => (b.apiVersion = 'portcullis.dev/v9'), '/apiVersion', /unsupported apiVersion/],
    ['wrong kind', (b) => (b.kind = 'Other'), '/kind', /expected kind RuleBundle/],
    [
      'bad mode',
      (b) => ((b.policies as Array<Record<string, unknown>>)[0].mode = 'Warn'),
      '/policies/0/mode',
      /got "Warn"/,
    ],
    [
      'timeout out of range',
      (b) => ((b.policies as Array<Record<string, unknown>>)[0].timeoutSeconds = 31),
      '/policies/0/timeoutSeconds',
      /30/,
    ],
    [
      'unknown property',
      (b) => ((b.policies as Array<Record<string, unknown>>)[0].surprise = true),
      '/policies/0/surprise',
      /./,
    ],
    [
      'bad expiresAt',
      (b) =>
        (((b.policies as Array<Record<string, unknown>>)[0].exemptions as Array<Record<string, unknown>>)[0].expiresAt =
          'next tuesday'),
      '/policies/0/exemptions/0/expiresAt',
      /date-time/,
    ],
    [
      'webhook names an unknown policy',
      (b) => ((b.webhooks as Array<Record<string, unknown>>)[0].policies = ['nope']),
      '/webhooks/0/policies/0',
      /unknown policy "nope"/,
    ],
  ];
  for (const [name, mutate, path, reason] of cases) {
    it(`refuses ${name} with path ${path}`, () => {
      const b = sampleBundle() as unknown as Record<string, unknown>;
      mutate(b);
      let caught: unknown;
      try {
        validateBundle(b);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(BundleError);
      expect((caught as BundleError).path).toBe(path);
      expect((caught as BundleError).message).toMatch(reason);
    });
  }

  it('refuses text that is not JSON', () => {
    expect(() => loadBundle('{not json')).toThrow(/not valid JSON/);
  });
  it('refuses a bundle whose hash differs from the expected one', () => {
    expect(() => loadBundle(JSON.stringify(sampleBundle()), { expectedHash: 'sha256:00' })).toThrow(/does not match/);
    expect(() => loadBundle(JSON.stringify(sampleBundle()), { expectedHash: bundleHash(sampleBundle()) })).not.toThrow();
  });
});
