/**
 * What `portcullis init` knows when it writes a policy repository: the team's values (each optional
 * one missing becomes a placeholder) and the package versions it pins.
 */

export interface InitValues {
  /** Bundle name, Argo CD Application name (a DNS label). */
  readonly name: string;
  /** Registry host (host[:port]): images allowed and signed are `<registry>/**`. */
  readonly registry?: string;
  /** PEM public key (SPKI) the team signs its images with (cosign --key). */
  readonly publicKeyPem?: string;
  /** Keyless (Sigstore/Fulcio) signing identity: the certificate subject and the OIDC issuer. */
  readonly keylessIdentity?: string;
  readonly keylessIssuer?: string;
  /** Namespace of the admission runtime. */
  readonly namespace: string;
  /** Git URL of the policy repository (Argo CD syncs its dist/). */
  readonly repoUrl?: string;
  /** Where developers ask for an exemption. */
  readonly exemptionHelp?: string;
  /** The Portcullis runtime image the cluster pulls. */
  readonly runtimeImage?: string;
  /**
   * Where validations run: `hybrid` (Kubernetes 1.30+: those CEL expresses exactly run in the API
   * server) or `webhook` (every cluster).
   */
  readonly enforcement: ScaffoldEnforcement;
  /** The npm spec of the portcullis dependency. */
  readonly portcullisSpec: string;
  /** The version of this package (shown in comments). */
  readonly portcullisVersion: string;
  /** Exact versions of the tools the scaffold depends on. */
  readonly versions: Readonly<Record<(typeof PINNED_PACKAGES)[number], string>>;
  /** Supported Node versions (`engines.node`). */
  readonly nodeEngines: string;
}

/** The app-wide enforcement a scaffold can choose (`native` for a whole app would refuse the signature checks). */
export const SCAFFOLD_ENFORCEMENTS = ['hybrid', 'webhook'] as const;
export type ScaffoldEnforcement = (typeof SCAFFOLD_ENFORCEMENTS)[number];

/** The packages a scaffolded repository pins at the versions this package is built and tested with. */
export const PINNED_PACKAGES = ['cdk8s', 'constructs', 'cdk8s-cli', 'typescript', 'tsx', '@types/node'] as const;

/** The placeholder text (`placeholder()` prefixes it with REPLACE-ME) where a value was not given. */
export const HINTS = {
  registry: 'your registry host, e.g. registry.acme.example [init --registry]',
  publicKey: 'your Cosign PEM public key, e.g. the contents of cosign.pub [init --public-key], or sign keyless instead',
  keylessIdentity: 'the signing identity (certificate subject), e.g. https://github.com/acme/build/.github/workflows/release.yml@refs/heads/main [init --keyless-identity]',
  keylessIssuer: 'the OIDC issuer, e.g. https://token.actions.githubusercontent.com [init --keyless-issuer]',
  exemptionHelp: 'where developers ask for an exemption, e.g. https://github.com/acme/policies/issues/new [init --exemption-help]',
  runtimeImage: 'the Portcullis runtime image your cluster pulls, e.g. registry.acme.example/platform/portcullis:0.2.0 [init --runtime-image]',
  repoUrl: 'the Git URL of this repository [init --repo-url]',
} as const;

/** A TypeScript single-quoted string literal. */
export function tsString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
export function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** The registry host to use in example workloads when the team did not name one. */
export const EXAMPLE_REGISTRY = 'registry.example.com';
