/**
 * The rule bundle: the contract between the generator (`constructs/`, run by `cdk8s synth`) and the
 * admission runtime (`runtime/`). One source of truth: the TypeBox schemas below are both the JSON
 * Schema (exported as `BundleSchema`, written next to the bundle for tooling) and, through
 * `Static<>`, the TypeScript types. Nothing here may import cdk8s.
 *
 * Versioning: `apiVersion` + `kind` identify the contract. A runtime refuses a bundle whose
 * `apiVersion` it does not know; additive, optional fields keep the version, anything else bumps it.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const BUNDLE_API_VERSION = 'portcullis.dev/v1alpha1';
export const BUNDLE_KIND = 'RuleBundle';

const Name = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', minLength: 1, maxLength: 63 });
const NonEmpty = Type.String({ minLength: 1 });
const StringList = Type.Array(NonEmpty);

const closed = { additionalProperties: false } as const;
function obj<P extends Record<string, TSchema>>(props: P, description?: string) {
  return Type.Object(props, description === undefined ? closed : { ...closed, description });
}

export const Mode = Type.Union([Type.Literal('Audit'), Type.Literal('Enforce')], {
  description: 'Enforce denies a violating request; Audit admits it with warnings and audit annotations.',
});
export const FailurePolicy = Type.Union([Type.Literal('Fail'), Type.Literal('Ignore')]);
export const Operation = Type.Union([Type.Literal('CREATE'), Type.Literal('UPDATE')]);

/** A Kubernetes metav1.LabelSelector. */
export const LabelSelectorRequirement = obj({
  key: NonEmpty,
  operator: Type.Union([Type.Literal('In'), Type.Literal('NotIn'), Type.Literal('Exists'), Type.Literal('DoesNotExist')]),
  values: Type.Optional(Type.Array(Type.String())),
});
export const LabelSelector = obj({
  matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
  matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirement)),
});

/**
 * What a rule is evaluated on: an explicit resource and where its pod spec lives. Autogen expands a
 * Pod rule into one target per controller at synth time, so the bundle says exactly what is checked.
 * `podSpecPath` / `podMetadataPath` are JSON Pointers into the object (`""` for the Pod itself).
 */
export const Target = obj({
  group: Type.String({ description: 'API group, "" for the core group' }),
  version: NonEmpty,
  kind: NonEmpty,
  resource: NonEmpty,
  subresource: Type.Optional(NonEmpty),
  podSpecPath: Type.String(),
  podMetadataPath: Type.String(),
});

// ---- rule families -------------------------------------------------------------------------

const ruleBase = {
  name: NonEmpty,
  /** Set on rules autogen produced: the name of the Pod rule they were expanded from. */
  autogenFrom: Type.Optional(NonEmpty),
  target: Target,
};

export const PodSecurityRule = obj({
  ...ruleBase,
  type: Type.Literal('podSecurity'),
  level: Type.Union([Type.Literal('baseline'), Type.Literal('restricted')]),
  /** `latest` or `v1.N`. */
  version: Type.String({ pattern: '^(latest|v1\\.(0|[1-9][0-9]*))$' }),
});

export const KeyAttestor = obj({
  type: Type.Literal('key'),
  name: NonEmpty,
  /** PEM SubjectPublicKeyInfo (ECDSA P-256/P-384, RSA, Ed25519). Public material only. */
  publicKey: NonEmpty,
  /** Require a transparency-log (Rekor) entry for this key's signatures. */
  requireTlog: Type.Optional(Type.Boolean()),
  /**
   * With `requireTlog`: name of an entry in `bundle.trust.trustedRoots` whose transparency-log keys
   * verify the entry; absent = the Sigstore public-good root.
   */
  trustedRoot: Type.Optional(NonEmpty),
});
export const IdentityMatcher = obj({
  /** Exact match unless `regex` is set; regexes are anchored (`^(?:…)$`) by the verifier. */
  subject: Type.Optional(NonEmpty),
  subjectRegExp: Type.Optional(NonEmpty),
  issuer: Type.Optional(NonEmpty),
  issuerRegExp: Type.Optional(NonEmpty),
});
export const KeylessAttestor = obj({
  type: Type.Literal('keyless'),
  name: NonEmpty,
  identities: Type.Array(IdentityMatcher, { minItems: 1 }),
  /** Name of an entry in `bundle.trust.trustedRoots`; absent = the Sigstore public-good root. */
  trustedRoot: Type.Optional(NonEmpty),
  /** Transparency-log entries required (default 1). */
  tlogThreshold: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Certificate-transparency SCTs required (default 1). */
  ctlogThreshold: Type.Optional(Type.Integer({ minimum: 0 })),
});
export const Attestor = Type.Union([KeyAttestor, KeylessAttestor]);
export const AttestorSet = obj({
  /** How many of `entries` must verify; absent = all of them. */
  count: Type.Optional(Type.Integer({ minimum: 1 })),
  entries: Type.Array(Attestor, { minItems: 1 }),
});
export const Registry = obj({
  /** Host[:port] exactly as written in image references after normalization (docker.io for Docker Hub). */
  host: NonEmpty,
  /** Plain HTTP; only for registries explicitly configured so (loopback tests). */
  insecure: Type.Optional(Type.Boolean()),
  /** PEM CA bundle added to the system CAs for this registry. */
  caPem: Type.Optional(NonEmpty),
});
export const VerifyImagesRule = obj({
  ...ruleBase,
  type: Type.Literal('verifyImages'),
  /** Image reference globs (see runtime/images for the dialect); only these images are checked. */
  imageReferences: Type.Array(NonEmpty, { minItems: 1 }),
  skipImageReferences: Type.Optional(StringList),
  /** All sets must pass (AND); within a set, `count` of its entries. */
  attestors: Type.Array(AttestorSet, { minItems: 1 }),
  /** Deny images that match `imageReferences` but carry no valid signature (default true). */
  required: Type.Boolean(),
  /** Mutating webhook rewrites `repo:tag` to `repo:tag@sha256:…` (Enforce only). */
  mutateDigest: Type.Boolean(),
  /** Validating webhook requires a digest on every matching image. */
  verifyDigest: Type.Boolean(),
  /** Per-registry-request deadline in milliseconds (kept below the webhook timeout at synth). */
  requestTimeoutMs: Type.Integer({ minimum: 1 }),
  /** Cache TTL for successful verdicts, seconds. */
  cacheTtlSeconds: Type.Integer({ minimum: 0 }),
  /** Optional negative-cache TTL, seconds (0 = failures are not cached). */
  negativeCacheTtlSeconds: Type.Integer({ minimum: 0 }),
  /** Registries this rule may contact; nothing else is ever contacted. */
  registries: Type.Array(Registry, { minItems: 1 }),
  /**
   * Where signatures are stored when not next to the image (cosign's COSIGN_REPOSITORY, Kyverno's
   * `repository`): `host[:port]/path`, without tag or digest; its host must be one of `registries`.
   */
  repository: Type.Optional(NonEmpty),
});

// ---- attestations (verifyAttestations) ---------------------------------------------------------

export const SLSA_PROVENANCE_V02 = 'https://slsa.dev/provenance/v0.2';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const COSIGN_VULN_V1 = 'https://cosign.sigstore.dev/attestation/vuln/v1';
export const SPDX_DOCUMENT = 'https://spdx.dev/Document';
export const CYCLONEDX_BOM = 'https://cyclonedx.org/bom';

/** A string condition: equal to `exact`, or matching the anchored, backtracking-safe `pattern`. */
export const StringCondition = Type.Union([obj({ exact: NonEmpty }), obj({ pattern: NonEmpty })]);
/** Vulnerability severities as scanners report them (Grype's Negligible counts as LOW). */
export const VulnSeverity = Type.Union([
  Type.Literal('UNKNOWN'),
  Type.Literal('LOW'),
  Type.Literal('MEDIUM'),
  Type.Literal('HIGH'),
  Type.Literal('CRITICAL'),
]);
const Count = Type.Integer({ minimum: 0 });

const attestationBase = {
  /** Names the requirement in messages (`attestation "provenance": …`). */
  name: Name,
  /** Who must have signed the attestation: every set must pass; within a set, `count` of its entries. */
  attestors: Type.Array(AttestorSet, { minItems: 1 }),
  /**
   * Statements older than this (by the predicate's own time: build finished, scan finished, SBOM
   * created) are ignored; at least one current statement must remain.
   */
  maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
};
export const ProvenanceAttestation = obj({
  ...attestationBase,
  kind: Type.Literal('slsaProvenance'),
  predicateTypes: Type.Array(Type.Union([Type.Literal(SLSA_PROVENANCE_V02), Type.Literal(SLSA_PROVENANCE_V1)]), { minItems: 1 }),
  /** v0.2 `builder.id`, v1 `runDetails.builder.id`. */
  builderId: Type.Optional(StringCondition),
  /** v0.2 `invocation.configSource.uri`, v1 `buildDefinition.externalParameters.workflow.repository` (or the first resolved dependency), without `git+` and `@ref`. */
  sourceRepository: Type.Optional(StringCondition),
  /** The ref of that source (`refs/heads/main`). */
  sourceRef: Type.Optional(StringCondition),
  /** v0.2 `buildType`, v1 `buildDefinition.buildType`. */
  buildType: Type.Optional(StringCondition),
});
export const VulnerabilityAttestation = obj({
  ...attestationBase,
  kind: Type.Literal('vulnerabilityScan'),
  predicateTypes: Type.Array(Type.Literal(COSIGN_VULN_V1), { minItems: 1, maxItems: 1 }),
  /** The highest severity allowed (`HIGH`: no CRITICAL finding; `NONE`: no LOW..CRITICAL finding). */
  maxSeverity: Type.Optional(Type.Union([Type.Literal('NONE'), Type.Literal('LOW'), Type.Literal('MEDIUM'), Type.Literal('HIGH')])),
  /** At most this many findings of each (exact) severity. */
  maxCountBySeverity: Type.Optional(
    obj({ UNKNOWN: Type.Optional(Count), LOW: Type.Optional(Count), MEDIUM: Type.Optional(Count), HIGH: Type.Optional(Count), CRITICAL: Type.Optional(Count) }),
  ),
});
export const SbomAttestation = obj({
  ...attestationBase,
  kind: Type.Literal('sbom'),
  predicateTypes: Type.Array(Type.Union([Type.Literal(SPDX_DOCUMENT), Type.Literal(CYCLONEDX_BOM)]), { minItems: 1 }),
});
/** Presence of a signed statement of a custom predicate type (no conditions on its content). */
export const CustomAttestation = obj({
  name: Name,
  attestors: Type.Array(AttestorSet, { minItems: 1 }),
  kind: Type.Literal('custom'),
  predicateTypes: Type.Array(NonEmpty, { minItems: 1 }),
});
export const AttestationRequirement = Type.Union([ProvenanceAttestation, VulnerabilityAttestation, SbomAttestation, CustomAttestation]);

export const VerifyAttestationsRule = obj({
  ...ruleBase,
  type: Type.Literal('verifyAttestations'),
  /** Image reference globs; only these images are checked (validation only: nothing is pinned). */
  imageReferences: Type.Array(NonEmpty, { minItems: 1 }),
  skipImageReferences: Type.Optional(StringList),
  /** Every requirement must be met by in-toto statements naming the image digest. */
  attestations: Type.Array(AttestationRequirement, { minItems: 1 }),
  requestTimeoutMs: Type.Integer({ minimum: 1 }),
  cacheTtlSeconds: Type.Integer({ minimum: 0 }),
  negativeCacheTtlSeconds: Type.Integer({ minimum: 0 }),
  registries: Type.Array(Registry, { minItems: 1 }),
  /** Where attestations are stored when not next to the image; its host must be one of `registries`. */
  repository: Type.Optional(NonEmpty),
});

export const Quantity = Type.String({ minLength: 1, description: 'A Kubernetes resource quantity, e.g. 100m, 128Mi' });
export const ResourcePair = obj({ cpu: Type.Optional(Quantity), memory: Type.Optional(Quantity) });
export const DefaultResourcesRule = obj({
  ...ruleBase,
  type: Type.Literal('defaultResources'),
  requests: ResourcePair,
  limits: ResourcePair,
});
export const RequireResourcesRule = obj({
  ...ruleBase,
  type: Type.Literal('requireResources'),
  /** Resources that must have a limit (default cpu and memory). */
  limits: Type.Array(Type.Union([Type.Literal('cpu'), Type.Literal('memory')])),
  /** Resources that must have a request. */
  requests: Type.Array(Type.Union([Type.Literal('cpu'), Type.Literal('memory')])),
  /** Optional per-container ceilings on limits. */
  maxLimits: Type.Optional(ResourcePair),
});
export const AllowedRegistriesRule = obj({
  ...ruleBase,
  type: Type.Literal('allowedRegistries'),
  /** Registry/repository globs after normalization (see runtime/engine for the dialect). */
  allowed: Type.Array(NonEmpty, { minItems: 1 }),
});
export const RequireDigestRule = obj({ ...ruleBase, type: Type.Literal('requireDigest') });
export const DisallowLatestTagRule = obj({ ...ruleBase, type: Type.Literal('disallowLatestTag') });
export const HostPathsRule = obj({
  ...ruleBase,
  type: Type.Literal('hostPaths'),
  allowed: Type.Array(
    obj({
      pathPrefix: Type.String({ pattern: '^/' }),
      readOnly: Type.Boolean(),
    }),
  ),
});
export const DenyRuntimeSocketRule = obj({
  ...ruleBase,
  type: Type.Literal('denyRuntimeSocket'),
  /** Socket paths to protect; the defaults cover docker, containerd, cri-o and podman. */
  sockets: Type.Array(Type.String({ pattern: '^/' }), { minItems: 1 }),
});
export const HostNamespacesRule = obj({
  ...ruleBase,
  type: Type.Literal('hostNamespaces'),
  deny: Type.Array(Type.Union([Type.Literal('hostPID'), Type.Literal('hostIPC'), Type.Literal('hostNetwork')]), { minItems: 1 }),
});
export const RequireLabelsRule = obj({
  ...ruleBase,
  type: Type.Literal('requireLabels'),
  labels: Type.Array(
    obj({
      key: NonEmpty,
      /** Anchored regular expression the value must match. */
      valuePattern: Type.Optional(NonEmpty),
    }),
    { minItems: 1 },
  ),
});
export const DefaultSeccompRule = obj({
  ...ruleBase,
  type: Type.Literal('defaultSeccomp'),
  profile: Type.Literal('RuntimeDefault'),
});

export const Rule = Type.Union([
  PodSecurityRule,
  VerifyImagesRule,
  VerifyAttestationsRule,
  DefaultResourcesRule,
  RequireResourcesRule,
  AllowedRegistriesRule,
  RequireDigestRule,
  DisallowLatestTagRule,
  HostPathsRule,
  DenyRuntimeSocketRule,
  HostNamespacesRule,
  RequireLabelsRule,
  DefaultSeccompRule,
]);

// ---- exemptions ----------------------------------------------------------------------------

/**
 * What one exemption relieves. `control` is a Pod Security control ID (see `pss-controls.ts`) or,
 * for other families, a rule name. `images` narrows it to containers whose image matches a glob
 * (container-level controls only); `field` + `values` narrows it to those exact values of one field
 * (e.g. field `capabilities.add`, values `[NET_ADMIN]`): other values still fail.
 */
export const ExemptionControl = obj({
  control: NonEmpty,
  images: Type.Optional(StringList),
  field: Type.Optional(NonEmpty),
  values: Type.Optional(Type.Array(Type.String())),
});
export const Exemption = obj({
  name: NonEmpty,
  owner: NonEmpty,
  reason: NonEmpty,
  /** RFC 3339; after it the exemption no longer applies and messages say it expired. */
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** Scope: an empty scope means every namespace and object. */
  namespaces: Type.Optional(StringList),
  namespaceSelector: Type.Optional(LabelSelector),
  objectSelector: Type.Optional(LabelSelector),
  /** Empty = the whole policy is relieved within the scope. */
  controls: Type.Array(ExemptionControl),
});

// ---- policies and webhooks -----------------------------------------------------------------

export const Match = obj({
  kinds: Type.Array(NonEmpty, { minItems: 1 }),
  operations: Type.Array(Operation, { minItems: 1 }),
  namespaces: Type.Optional(StringList),
  namespaceSelector: Type.Optional(LabelSelector),
  objectSelector: Type.Optional(LabelSelector),
});
export const Exclude = obj({
  namespaces: Type.Optional(StringList),
  namespaceSelector: Type.Optional(LabelSelector),
  objectSelector: Type.Optional(LabelSelector),
});

export const Policy = obj({
  name: Name,
  description: Type.Optional(Type.String()),
  /** Source construct path, for messages ("defined at …"). */
  source: Type.Optional(Type.String()),
  mode: Mode,
  failurePolicy: FailurePolicy,
  timeoutSeconds: Type.Integer({ minimum: 1, maximum: 30 }),
  /** Controllers autogen expanded this policy's Pod rules into (empty = Pods only). */
  controllers: StringList,
  match: Match,
  exclude: Type.Optional(Exclude),
  rules: Type.Array(Rule, { minItems: 1 }),
  exemptions: Type.Array(Exemption),
  /** Where a developer asks for an exemption (URL or text), shown in denial messages. */
  exemptionHelp: Type.Optional(Type.String()),
  /**
   * Validating rules (by the name their author wrote; autogen copies included) that run as a
   * ValidatingAdmissionPolicy inside the API server (enforcement `native`/`hybrid`). The validating
   * webhook does not evaluate them; `portcullis test` and `scan` do (they are proven equal).
   */
  nativeRules: Type.Optional(Type.Array(NonEmpty, { minItems: 1 })),
  /**
   * Native rules the webhook still evaluates in some namespaces, by rule: the namespaces of the
   * rule's expiring exemptions (CEL has no clock; the ValidatingAdmissionPolicy skips them).
   */
  webhookNamespaces: Type.Optional(Type.Record(NonEmpty, Type.Array(Name, { minItems: 1 }))),
});

export const WebhookRule = obj({
  /** `""` is the core group. */
  apiGroups: Type.Array(Type.String()),
  apiVersions: StringList,
  resources: StringList,
  operations: Type.Array(Operation, { minItems: 1 }),
});
export const Webhook = obj({
  /** DNS-style webhook name, e.g. `validate-fail-10s-0.portcullis.dev`. */
  name: NonEmpty,
  type: Type.Union([Type.Literal('mutating'), Type.Literal('validating')]),
  /** HTTP path the API server calls, e.g. `/validate/fail-10s-0`. */
  path: Type.String({ pattern: '^/[a-z0-9/-]+$' }),
  failurePolicy: FailurePolicy,
  timeoutSeconds: Type.Integer({ minimum: 1, maximum: 30 }),
  namespaceSelector: LabelSelector,
  objectSelector: Type.Optional(LabelSelector),
  rules: Type.Array(WebhookRule, { minItems: 1 }),
  /** Names of the policies this path serves, in evaluation order. */
  policies: Type.Array(Name, { minItems: 1 }),
});

export const Trust = obj({
  /** Sigstore trusted roots (trusted_root.json content) by name, for air-gapped keyless checks. */
  trustedRoots: Type.Record(Type.String(), Type.Unknown()),
});

export const Bundle = obj({
  apiVersion: Type.Literal(BUNDLE_API_VERSION),
  kind: Type.Literal(BUNDLE_KIND),
  metadata: obj({
    name: Name,
    /** Namespace the runtime runs in (always excluded from admission). */
    runtimeNamespace: Name,
  }),
  policies: Type.Array(Policy),
  webhooks: Type.Array(Webhook),
  trust: Trust,
});

export const BundleSchema = Bundle;

export type Mode = Static<typeof Mode>;
export type FailurePolicy = Static<typeof FailurePolicy>;
export type Operation = Static<typeof Operation>;
export type LabelSelector = Static<typeof LabelSelector>;
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirement>;
export type Target = Static<typeof Target>;
export type PodSecurityRule = Static<typeof PodSecurityRule>;
export type KeyAttestor = Static<typeof KeyAttestor>;
export type KeylessAttestor = Static<typeof KeylessAttestor>;
export type IdentityMatcher = Static<typeof IdentityMatcher>;
export type Attestor = Static<typeof Attestor>;
export type AttestorSet = Static<typeof AttestorSet>;
export type Registry = Static<typeof Registry>;
export type VerifyImagesRule = Static<typeof VerifyImagesRule>;
export type StringCondition = Static<typeof StringCondition>;
export type VulnSeverity = Static<typeof VulnSeverity>;
export type AttestationRequirement = Static<typeof AttestationRequirement>;
export type VerifyAttestationsRule = Static<typeof VerifyAttestationsRule>;
export type ResourcePair = Static<typeof ResourcePair>;
export type DefaultResourcesRule = Static<typeof DefaultResourcesRule>;
export type RequireResourcesRule = Static<typeof RequireResourcesRule>;
export type AllowedRegistriesRule = Static<typeof AllowedRegistriesRule>;
export type RequireDigestRule = Static<typeof RequireDigestRule>;
export type DisallowLatestTagRule = Static<typeof DisallowLatestTagRule>;
export type HostPathsRule = Static<typeof HostPathsRule>;
export type DenyRuntimeSocketRule = Static<typeof DenyRuntimeSocketRule>;
export type HostNamespacesRule = Static<typeof HostNamespacesRule>;
export type RequireLabelsRule = Static<typeof RequireLabelsRule>;
export type DefaultSeccompRule = Static<typeof DefaultSeccompRule>;
export type Rule = Static<typeof Rule>;
export type RuleType = Rule['type'];
export type ExemptionControl = Static<typeof ExemptionControl>;
export type Exemption = Static<typeof Exemption>;
export type Match = Static<typeof Match>;
export type Exclude = Static<typeof Exclude>;
export type Policy = Static<typeof Policy>;
export type WebhookRule = Static<typeof WebhookRule>;
export type Webhook = Static<typeof Webhook>;
export type Trust = Static<typeof Trust>;
export type Bundle = Static<typeof Bundle>;

/** Rule families that mutate (run in the mutating webhook); all others validate. */
export const MUTATING_RULE_TYPES: readonly RuleType[] = ['defaultResources', 'defaultSeccomp'];
/** verifyImages both mutates (digest pinning) and validates (signatures). */
export const DUAL_RULE_TYPES: readonly RuleType[] = ['verifyImages'];
/** Rule families that contact registries (an ImageVerifier checks them). */
export const IMAGE_RULE_TYPES: readonly RuleType[] = ['verifyImages', 'verifyAttestations'];
