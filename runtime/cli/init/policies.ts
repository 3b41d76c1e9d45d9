/**
 * The `policies/` folder `portcullis init` writes: the team's values in one typed file
 * (`config.ts`), the starting set (signed images from the team registry, resource defaults and
 * limits, restricted Pod Security — validating policies in Audit), the app and its entry point.
 */
import { EXAMPLE_REGISTRY, HINTS, tsString, type InitValues } from './values';

/**
 * A module specifier in a generated import, as in from ${q('portcullis')}: written through this so
 * the templates' imports are not mistaken for imports of this module (test/cli/image.test.ts scans them).
 */
function q(specifier: string): string {
  return `'${specifier}'`;
}

/** `placeholder('<hint>')`, or the value as a string literal. */
function valueOrPlaceholder(value: string | undefined, hint: string): string {
  return value === undefined ? `placeholder(${tsString(hint)})` : tsString(value);
}

function pemLiteral(pem: string, indent: string): string {
  const lines = pem.trim().split(/\r?\n/);
  return ['[', ...lines.map((l) => `${indent}  ${tsString(l)},`), `${indent}  '',`, `${indent}].join('\\n')`].join('\n');
}

function signingBlock(v: InitValues): string[] {
  const keyless = v.keylessIdentity !== undefined || v.keylessIssuer !== undefined;
  const out: string[] = ['  signing: {'];
  if (v.publicKeyPem !== undefined || !keyless) {
    out.push(
      '    // Key-based (cosign sign --key): the PUBLIC key only (cosign public-key, or cosign.pub).',
      '    publicKey: {',
      "      name: 'release-key',",
      `      pem: ${v.publicKeyPem === undefined ? `placeholder(${tsString(HINTS.publicKey)})` : pemLiteral(v.publicKeyPem, '      ')},`,
      '    },',
    );
  }
  if (keyless) {
    out.push(
      '    // Keyless (Sigstore): the identity in the signing certificate and the OIDC issuer that vouched for it.',
      '    keyless: {',
      `      subject: ${valueOrPlaceholder(v.keylessIdentity, HINTS.keylessIdentity)},`,
      `      issuer: ${valueOrPlaceholder(v.keylessIssuer, HINTS.keylessIssuer)},`,
      '    },',
    );
  } else {
    out.push(
      '    // Or keyless (Sigstore), instead of or next to the key (either signature is accepted):',
      "    // keyless: { subject: 'https://github.com/acme/build/.github/workflows/release.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' },",
    );
  }
  out.push('  },');
  return out;
}

export function configTs(v: InitValues): string {
  const usesPlaceholder =
    v.registry === undefined ||
    v.exemptionHelp === undefined ||
    v.runtimeImage === undefined ||
    (v.publicKeyPem === undefined && (v.keylessIdentity === undefined || v.keylessIssuer === undefined));
  return [
    '/**',
    ` * Everything specific to ${v.name}, in one typed place: the policies in this folder read only from here.`,
    ' *',
    " * A value written as placeholder('…') is not filled in yet: `npm run synth` refuses it and names this",
    " * file and line. Replace the whole placeholder('…') call with your value (a plain string).",
    ' *',
    ' * Rollout: the validating policies start in Audit (admit, warn, audit annotation). When',
    ' * `portcullis scan` shows nothing left to fix, flip ONE mode below to \'Enforce\', run `npm run synth`,',
    ' * and open a pull request (CI comments what changes). Roll back by flipping it back to \'Audit\'.',
    ' */',
    usesPlaceholder ? "import { placeholder } from 'portcullis';" : "// import { placeholder } from 'portcullis'; // for values still to be filled in",
    "import type { Mode } from 'portcullis/bundle';",
    '',
    'export interface TeamConfig {',
    '  /** Names the bundle, the runtime\'s objects and the Argo CD Application (a DNS label). */',
    '  readonly appName: string;',
    '  /** Namespace of the admission runtime (never itself subject to admission). */',
    '  readonly runtimeNamespace: string;',
    '  /** The Portcullis runtime image the cluster pulls (built from the Portcullis Dockerfile, pushed to your registry). */',
    '  readonly runtimeImage: string;',
    '  /** Where a denied developer asks for an exemption (shown in every denial). */',
    '  readonly exemptionHelp: string;',
    '  /** Your registry host: the only registry images may come from, and every image from it must be signed. */',
    '  readonly registry: string;',
    '  /** Who signs your images: a Cosign public key, a keyless identity, or both (either signature is accepted). */',
    '  readonly signing: {',
    '    readonly publicKey?: { readonly name: string; readonly pem: string };',
    '    readonly keyless?: { readonly subject: string; readonly issuer: string };',
    '  };',
    '  /** Requests and limits filled into containers (of Pods) that declare none. */',
    '  readonly resourceDefaults: {',
    '    readonly requests: { readonly cpu: string; readonly memory: string };',
    '    readonly limits: { readonly cpu: string; readonly memory: string };',
    '  };',
    "  /** Where validations run: 'hybrid' (Kubernetes 1.30+: those CEL expresses exactly run in the API server) or 'webhook'. */",
    "  readonly enforcement: 'hybrid' | 'webhook';",
    '  /** Audit or Enforce, per validating policy. */',
    '  readonly modes: {',
    '    readonly images: Mode;',
    '    readonly resourceLimits: Mode;',
    '    readonly podSecurity: Mode;',
    '  };',
    '}',
    '',
    'export const config: TeamConfig = {',
    `  appName: ${tsString(v.name)},`,
    `  runtimeNamespace: ${tsString(v.namespace)},`,
    `  runtimeImage: ${valueOrPlaceholder(v.runtimeImage, HINTS.runtimeImage)},`,
    `  exemptionHelp: ${valueOrPlaceholder(v.exemptionHelp, HINTS.exemptionHelp)},`,
    `  registry: ${valueOrPlaceholder(v.registry, HINTS.registry)},`,
    ...signingBlock(v),
    '  resourceDefaults: {',
    "    requests: { cpu: '100m', memory: '128Mi' },",
    "    limits: { cpu: '500m', memory: '512Mi' },",
    '  },',
    `  enforcement: ${tsString(v.enforcement)},`,
    '  modes: {',
    "    images: 'Audit',",
    "    resourceLimits: 'Audit',",
    "    podSecurity: 'Audit',",
    '  },',
    '};',
    '',
  ].join('\n');
}

export function appTs(): string {
  return `/**
 * The policy set as an app. \`main.ts\` synthesizes it into dist/; tests may build it with their own
 * props (output folder, clock) and config.
 */
import { isFilled, PortcullisApp, RequireFilled, type PortcullisAppProps } from ${q('portcullis')};
import { config as teamConfig, type TeamConfig } from ${q('./config')};
import { images, provenance } from ${q('./images')};
import { podSecurity } from ${q('./pod-security')};
import { resourceDefaults, resourceLimits } from ${q('./resources')};

export function createApp(props: PortcullisAppProps = {}, config: TeamConfig = teamConfig): PortcullisApp {
  const app = new PortcullisApp({
    name: config.appName,
    namespace: config.runtimeNamespace,
    runtime: { image: config.runtimeImage },
    exemptionHelp: config.exemptionHelp,
    // Where validations run (dist/45-native-policies.k8s.yaml holds the ValidatingAdmissionPolicies).
    enforcement: config.enforcement,
    ...props,
  });
  // Values still written as placeholder('…') in config.ts: synth refuses each one, naming its line.
  new RequireFilled(app, 'config', config);
  // Mutating policies first (the engine runs mutation before validation anyway).
  resourceDefaults(app, config);
  // Built once its registry and signing identity are filled in (until then synth lists the placeholders).
  if (isFilled(config.registry, config.signing)) {
    images(app, config);
    provenance(app, config);
  }
  resourceLimits(app, config);
  podSecurity(app, config);
  return app;
}
`;
}

export function mainTs(): string {
  return `// \`npm run synth\` (portcullis synth) and \`cdk8s synth\` run this file (cdk8s.yaml \`app\`). It writes into
// the staging folder .portcullis/synth and replaces dist/ only when synth succeeded: a refused synth
// prints its problems (file, line, fix) and leaves dist/ as it was.
import { synthesizeOrExit } from ${q('portcullis')};
import { createApp } from ${q('./app')};

synthesizeOrExit(createApp());
`;
}

export function imagesTs(): string {
  return `/** Images come only from the team registry, and every image from it carries the team's signature. */
import type { Construct } from ${q('constructs')};
import { AllowedRegistries, keyAttestor, keylessAttestor, Policy, slsaProvenance, VerifyAttestations, VerifyImages } from ${q('portcullis')};
import type { TeamConfig } from ${q('./config')};

export function images(scope: Construct, config: TeamConfig): Policy {
  const mode = config.modes.images;
  const policy = new Policy(scope, 'images', {
    description: 'Images come from the team registry and carry a Cosign signature from the team (key or keyless).',
    mode,
    // Signature checks contact the registry: give them time (requestTimeoutMs stays below this).
    timeoutSeconds: 15,
  });
  // \`**\` matches any number of path segments under the host (\`*\` stays within one segment).
  const teamImages = \`\${config.registry}/**\`;
  new AllowedRegistries(policy, 'team-registry-only', { allowed: [teamImages] });

  const { publicKey, keyless } = config.signing;
  const entries = [
    ...(publicKey === undefined ? [] : [keyAttestor(publicKey.name, publicKey.pem)]),
    ...(keyless === undefined ? [] : [keylessAttestor('keyless', [{ subject: keyless.subject, issuer: keyless.issuer }])]),
  ];
  new VerifyImages(policy, 'signed', {
    imageReferences: [teamImages],
    attestors: [{ count: 1, entries }],
    // Pinning tags to the verified digest rewrites Pods, so it comes with Enforce.
    mutateDigest: mode === 'Enforce',
    requestTimeoutMs: 5000,
    registries: [{ host: config.registry }],
  });
  return policy;
}

/**
 * SLSA provenance, signed like the images, built from main or a release tag. Audit (and
 * failurePolicy Ignore) while your CI learns to attest (cosign attest --type slsaprovenance1, or
 * GitHub's attest-build-provenance); switch to Enforce once \`portcullis scan\` shows no warning.
 */
export function provenance(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'provenance', {
    description: 'Team images carry SLSA provenance signed by the team, built from main or a release tag.',
    mode: 'Audit',
    failurePolicy: 'Ignore',
    timeoutSeconds: 15,
  });
  const { publicKey, keyless } = config.signing;
  const entries = [
    ...(publicKey === undefined ? [] : [keyAttestor(publicKey.name, publicKey.pem)]),
    ...(keyless === undefined ? [] : [keylessAttestor('keyless', [{ subject: keyless.subject, issuer: keyless.issuer }])]),
  ];
  new VerifyAttestations(policy, 'built-from-main', {
    imageReferences: [\`\${config.registry}/**\`],
    attestations: [
      slsaProvenance('provenance', {
        attestors: [{ count: 1, entries }],
        sourceRef: { pattern: 'refs/heads/main|refs/tags/v[0-9]+\\\\.[0-9]+\\\\.[0-9]+' },
        // builderId: 'https://github.com/<org>/<repo>/.github/workflows/build.yml@refs/heads/main',
      }),
    ],
    requestTimeoutMs: 5000,
    registries: [{ host: config.registry }],
  });
  return policy;
}
`;
}

export function resourcesTs(): string {
  return `/** Resource requests/limits: defaults filled in where a container declares none, then cpu/memory limits required. */
import type { Construct } from ${q('constructs')};
import { DefaultResources, Policy, RequireResources } from ${q('portcullis')};
import type { TeamConfig } from ${q('./config')};

export function resourceDefaults(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'resource-defaults', {
    description: 'Containers that declare no requests/limits get the platform defaults.',
    // Defaults are filled in or not: a defaulting policy is always Enforce (synth refuses Audit).
    mode: 'Enforce',
    // A defaulting outage must not block deploys; resource-limits still validates.
    failurePolicy: 'Ignore',
    timeoutSeconds: 5,
  });
  // Pods only: Deployments & co. stay as in Git (no Argo CD drift); their Pods get the defaults.
  new DefaultResources(policy, 'defaults', config.resourceDefaults);
  return policy;
}

export function resourceLimits(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'resource-limits', {
    description: 'Every container declares cpu and memory limits (or receives them from resource-defaults).',
    mode: config.modes.resourceLimits,
  });
  new RequireResources(policy, 'limits-required', { limits: ['cpu', 'memory'] });
  return policy;
}
`;
}

export function podSecurityTs(): string {
  return `/** The restricted Pod Security Standard. Relief goes through narrow, owned, expiring exemptions. */
import type { Construct } from ${q('constructs')};
import { PodSecurity, Policy } from ${q('portcullis')};
import type { TeamConfig } from ${q('./config')};

export function podSecurity(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'pod-security', {
    description: 'Pods meet the restricted Pod Security Standard (latest).',
    mode: config.modes.podSecurity,
  });
  new PodSecurity(policy, 'restricted', { level: 'restricted', version: 'latest' });

  // An exemption names one policy, the controls it relieves (optionally only some images and field
  // values), an owner, a reason and an expiry; after expiresAt synth fails until it is renewed or removed.
  // new Exemption(policy, 'network-tools', {
  //   owner: 'team-network',
  //   reason: 'tcpdump debugging pods need NET_RAW (INC-1234)',
  //   expiresAt: '2027-03-31T00:00:00Z',
  //   namespaces: ['network-debug'],
  //   controls: [{ control: 'capabilities_restricted', images: [\`\${config.registry}/tools/tcpdump\`], field: 'capabilities.add', values: ['NET_RAW'] }],
  // });
  return policy;
}
`;
}

/** The fixture's image registry: the team's, or an example host when it is not known yet. */
function fixtureRegistry(v: InitValues): string {
  return v.registry ?? EXAMPLE_REGISTRY;
}

/** The attestor name a signature of the team verifies under (images.ts: the key's, else the keyless one). */
function fixtureAttestor(v: InitValues): string {
  return v.publicKeyPem !== undefined || (v.keylessIdentity === undefined && v.keylessIssuer === undefined) ? 'release-key' : 'keyless';
}

export function fixtureYaml(v: InitValues): string {
  const host = fixtureRegistry(v);
  const signer = fixtureAttestor(v);
  const note =
    v.registry === undefined
      ? [
          `# REPLACE-ME: the example images here and in resources/workloads.yaml use ${EXAMPLE_REGISTRY}; write`,
          '# your registry host instead once it is filled in in policies/config.ts.',
        ]
      : [];
  return [
    '# The starting set against example workloads (resources/workloads.yaml), checked offline by',
    '# `npm test` (portcullis test --policies policies/fixtures) with the runtime\'s own engine.',
    '#',
    '# Every validating policy starts in Audit: a violation is reported as `warn` and the request is',
    '# admitted. When you flip a mode to Enforce in policies/config.ts, expect `fail` (and `allowed: false`).',
    '#',
    '# No registry is contacted: `signatures` declares what the registry would answer for the team\'s',
    `# images (the digest a tag resolves to, and the attestors of policies/images.ts a signature verifies`,
    `# under: "release-key" or "keyless"). A team image not declared here is \`skip\` (not checked).`,
    ...note,
    'apiVersion: portcullis.dev/v1alpha1',
    'kind: PolicyTest',
    'metadata:',
    '  name: starting-set',
    'signatures:',
    `  "${host}/shop/api:1.4.2": { digest: "sha256:${'1'.repeat(64)}", verifiedBy: [${signer}] }`,
    `  "${host}/shop/report:2.0.0": { digest: "sha256:${'2'.repeat(64)}", verifiedBy: [${signer}] }`,
    `  "${host}/shop/nightly:0.9.0": { digest: "sha256:${'3'.repeat(64)}", unsigned: true }`,
    'resources:',
    '  - resources/workloads.yaml',
    'results:',
    '  # A workload written to the policies: signed, from the team registry, limits, restricted securityContext.',
    '  - resource: Deployment/shop/api',
    '    allowed: true',
    '    policy: images',
    '    rule: signed',
    '    result: pass',
    '  - resource: Deployment/shop/api',
    '    policy: images',
    '    rule: team-registry-only',
    '    result: pass',
    '  - resource: Deployment/shop/api',
    '    policy: pod-security',
    '    rule: restricted',
    '    result: pass',
    '  - resource: Deployment/shop/api',
    '    policy: resource-limits',
    '    rule: limits-required',
    '    result: pass',
    '  # No requests/limits declared: the defaults are filled in (patched), so the limits check passes.',
    '  - resource: Pod/shop/report',
    '    patched: true',
    '    policy: resource-limits',
    '    rule: limits-required',
    '    result: pass',
    '  - resource: Pod/shop/report',
    '    policy: pod-security',
    '    rule: restricted',
    '    result: pass',
    '  # An image nobody signed: reported, admitted while images is in Audit.',
    '  - resource: Pod/shop/nightly',
    '    allowed: true',
    '    policy: images',
    '    rule: signed',
    '    result: warn',
    '    controls: [verifyImages]',
    '  # A privileged root pod from Docker Hub: reported, but admitted while the policies are in Audit.',
    '  - resource: Pod/sandbox/debug',
    '    allowed: true',
    '    policy: pod-security',
    '    rule: restricted',
    '    result: warn',
    '    controls: [allowPrivilegeEscalation, capabilities_restricted, privileged, runAsNonRoot, runAsUser, seccompProfile_restricted]',
    '  - resource: Pod/sandbox/debug',
    '    policy: images',
    '    rule: team-registry-only',
    '    result: warn',
    '    controls: [allowedRegistries]',
    '',
  ].join('\n');
}

export function fixtureWorkloadsYaml(v: InitValues): string {
  const host = fixtureRegistry(v);
  return `# Example workloads for policies/fixtures/starting-set.yaml.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: { app: api }
  template:
    metadata:
      labels: { app: api }
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: { type: RuntimeDefault }
      containers:
        - name: api
          image: ${host}/shop/api:1.4.2
          resources:
            requests: { cpu: 250m, memory: 256Mi }
            limits: { cpu: "1", memory: 512Mi }
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: { drop: [ALL] }
---
apiVersion: v1
kind: Pod
metadata:
  name: report
  namespace: shop
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    seccompProfile: { type: RuntimeDefault }
  containers:
    - name: report
      image: ${host}/shop/report:2.0.0
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: { drop: [ALL] }
---
apiVersion: v1
kind: Pod
metadata:
  name: nightly
  namespace: shop
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    seccompProfile: { type: RuntimeDefault }
  containers:
    - name: nightly
      image: ${host}/shop/nightly:0.9.0
      resources:
        limits: { cpu: 200m, memory: 128Mi }
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: { drop: [ALL] }
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: sandbox
spec:
  containers:
    - name: shell
      image: nginx:latest
      securityContext:
        privileged: true
        runAsUser: 0
`;
}
