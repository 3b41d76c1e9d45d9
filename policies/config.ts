/**
 * Everything specific to the payments platform team, in one typed place. The policies in this
 * folder read only from here; another team forks this file, not the policies.
 *
 * Rollout: policies a team turns on gradually start in Audit (admit + warn + audit annotation).
 * After `portcullis scan` shows nothing left to fix, flip ONE line below to 'Enforce'
 * (e.g. `podSecurity: 'Audit'` → `podSecurity: 'Enforce'`), run `npm run synth`, and open a PR.
 * Roll back by flipping it back to 'Audit'.
 */
import type { LabelSelector, Mode } from '../runtime/bundle';

export interface TeamConfig {
  /** Bundle name and the runtime's namespace. */
  readonly appName: string;
  readonly runtimeNamespace: string;
  readonly runtimeImage: string;
  /** Where a denied developer asks for an exemption. */
  readonly exemptionHelp: string;
  /** The team's registry: the only source of images, and the only host the runtime contacts. */
  readonly registry: { readonly host: string; readonly images: string };
  /** Keyless signing identity of the CI that builds every image (Sigstore/Fulcio). */
  readonly ci: { readonly issuer: string; readonly subject: string };
  /**
   * SLSA provenance CI attests for every image (`cosign attest --type slsaprovenance1` or GitHub's
   * attest-build-provenance), signed by the CI identity above: who built it and from what source.
   */
  readonly provenance: {
    readonly builderId: string;
    /** Anchored patterns (the engine's safe regex). */
    readonly sourceRepositoryPattern: string;
    readonly sourceRefPattern: string;
  };
  /** Key-based alternative (cosign sign --key): the PUBLIC key only. */
  readonly signingKey: { readonly name: string; readonly publicKeyPem: string };
  /** Resource defaults mutated into containers that declare none. */
  readonly resourceDefaults: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
  /** Namespaces whose workloads must carry the ownership labels. */
  readonly productionNamespaces: LabelSelector;
  readonly requiredLabels: ReadonlyArray<{ readonly key: string; readonly valuePattern?: string }>;
  /** The one approved hostPath (read-only), for the node log collector. */
  readonly monitoring: { readonly namespace: string; readonly collectorLabel: string; readonly hostPath: string };
  /** The network-tools exemption (NET_ADMIN/NET_RAW for packet capture). */
  readonly networkTools: {
    readonly namespace: string;
    readonly image: string;
    readonly owner: string;
    readonly reason: string;
    readonly expiresAt: string;
  };
  /** Audit or Enforce, per policy. */
  readonly modes: {
    /** Digest pinning needs Enforce; only the team's own (CI-signed) images are checked. */
    readonly imageSignatures: Mode;
    /** Provenance (VerifyAttestations): Audit until every team image carries it. */
    readonly imageProvenance: Mode;
    readonly resourceDefaults: Mode;
    readonly resourceLimits: Mode;
    readonly podSecurity: Mode;
    readonly imageReferences: Mode;
    readonly hostIsolation: Mode;
    readonly requiredLabels: Mode;
    readonly seccompDefault: Mode;
  };
}

export const config: TeamConfig = {
  appName: 'payments-platform',
  runtimeNamespace: 'portcullis-system',
  runtimeImage: 'ghcr.io/example/portcullis:0.1.0',
  exemptionHelp: 'https://github.com/payments-example/platform-policies/issues/new?template=exemption.md',
  registry: { host: 'registry.payments.example.com', images: 'registry.payments.example.com/**' },
  ci: {
    issuer: 'https://token.actions.githubusercontent.com',
    subject: 'https://github.com/payments-example/build-workflows/.github/workflows/build-and-sign.yml@refs/heads/main',
  },
  provenance: {
    builderId: 'https://github.com/payments-example/build-workflows/.github/workflows/build-and-sign.yml@refs/heads/main',
    sourceRepositoryPattern: 'https://github\\.com/payments-example/[a-z0-9][-a-z0-9]*',
    sourceRefPattern: 'refs/heads/main|refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+',
  },
  signingKey: {
    name: 'payments-release-key',
    // Generated once for this example (ECDSA P-256); the private key was never stored.
    publicKeyPem: [
      '-----BEGIN PUBLIC KEY-----',
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENObJOBhTtMUYevj8/JU82glxBm5x',
      'JCDyu1uCMZHifpnSZwkpHUYbESzvUoeSDKVehiVe5gpULX8vyI2jhZ1PHA==',
      '-----END PUBLIC KEY-----',
      '',
    ].join('\n'),
  },
  resourceDefaults: {
    requests: { cpu: '100m', memory: '128Mi' },
    limits: { cpu: '500m', memory: '512Mi' },
  },
  productionNamespaces: { matchLabels: { 'payments.example.com/environment': 'production' } },
  requiredLabels: [
    { key: 'owner' },
    { key: 'team' },
    { key: 'version', valuePattern: 'v?[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?' },
    { key: 'environment', valuePattern: 'production' },
  ],
  monitoring: { namespace: 'observability', collectorLabel: 'log-collector', hostPath: '/var/log' },
  networkTools: {
    namespace: 'platform-network',
    image: 'registry.payments.example.com/platform/network-tools',
    owner: 'team-platform-network',
    reason: 'tcpdump/mtr debugging pods need NET_ADMIN and NET_RAW (INC-4821); replaced by the eBPF tracer in Q1',
    expiresAt: '2027-03-31T00:00:00Z',
  },
  modes: {
    imageSignatures: 'Enforce',
    imageProvenance: 'Audit',
    resourceDefaults: 'Enforce',
    resourceLimits: 'Audit',
    podSecurity: 'Audit',
    imageReferences: 'Audit',
    hostIsolation: 'Audit',
    requiredLabels: 'Audit',
    seccompDefault: 'Enforce',
  },
};
