/**
 * The engine's boundary types. The engine is pure: given a request, the bundle's policies, a clock
 * and (for verifyImages only) an ImageVerifier, it returns a Decision. The server, `portcullis test`
 * and `portcullis scan` all call the same `evaluate*` functions.
 */
import type { Exemption, Mode, Policy, Rule, RuleType, Target } from '../bundle';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** The parts of an AdmissionReview `request` the engine reads (also built by the CLIs from files). */
export interface AdmissionInput {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  operation: AdmissionOperation;
  namespace?: string;
  name?: string;
  object: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  /** Labels of the request's namespace when known (CLIs); the server relies on the API server's selectors. */
  namespaceLabels?: Record<string, string>;
}

export type ContainerKind = 'containers' | 'initContainers' | 'ephemeralContainers';

/** One container of the pod under evaluation, with where it lives in the object. */
export interface ContainerRef {
  kind: ContainerKind;
  index: number;
  name: string;
  image: string;
  /** The container object itself (read-only). */
  container: Record<string, unknown>;
  /** JSON Pointer to the container in the admitted object, for patches. */
  pointer: string;
  /** Dotted field path for messages, e.g. `spec.template.spec.containers[0]`. */
  field: string;
}

/** The pod (or pod template) a rule evaluates, located inside the admitted object. */
export interface PodView {
  target: Target;
  spec: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** JSON Pointer to the pod spec inside the object (`/spec`, `/spec/template/spec`, …). */
  specPointer: string;
  /** Same location as a dotted path for messages (`spec`, `spec.template.spec`, …). */
  specField: string;
  metadataPointer: string;
  metadataField: string;
  containers: ContainerRef[];
}

/** A rule's finding before exemptions and mode are applied. */
export interface Finding {
  /** PSS control ID, or for other families the rule type; exemptions match on it. */
  control: string;
  container?: ContainerRef;
  /** Dotted path of the offending field in the admitted object. */
  field: string;
  /**
   * The field an exemption's `field` names (e.g. `capabilities.add`) and the offending values: an
   * exemption that lists all of them relieves the finding; otherwise only the rest are reported.
   */
  exemptField?: string;
  values?: string[];
  /** What would be allowed, for the message (e.g. `false`, `RuntimeDefault or Localhost`). */
  allowed?: string;
  message: string;
}

/** A finding after exemptions and mode: what the decision reports. */
export interface Violation {
  policy: string;
  /** The rule name as the author wrote it (autogen rules report the Pod rule's name). */
  rule: string;
  ruleType: RuleType;
  control: string;
  mode: Mode;
  container?: string;
  field: string;
  allowed?: string;
  message: string;
  /** An exemption that would have relieved this finding but has expired. */
  expiredExemption?: string;
}

export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

/** An evaluation error (not a verdict): the webhook's failurePolicy decides what it means. */
export interface EvaluationError {
  policy: string;
  rule: string;
  message: string;
}

export type RuleResultKind = 'pass' | 'fail' | 'warn' | 'skip' | 'exempt' | 'error';

export interface RuleResult {
  policy: string;
  rule: string;
  ruleType: RuleType;
  result: RuleResultKind;
}

/**
 * An exemption that relieved findings of one rule (exemption-use.ts). Recorded only when one did:
 * a decision without exemptions carries no list at all.
 */
export interface AppliedExemption {
  policy: string;
  /** The rule name as the author wrote it (autogen rules report the Pod rule's name). */
  rule: string;
  ruleType: RuleType;
  /** The bundle's exemption itself (name, owner, reason, expiresAt, scope); shared, read-only. */
  exemption: Exemption;
  /** Controls of the findings it relieved, distinct, in finding order. */
  controls: string[];
  /** Findings it relieved entirely (alone or with other exemptions of the policy). */
  relieved: number;
  /** Findings it relieved only partly: some offending values; the finding is still reported. */
  partial: number;
}

export interface Decision {
  /** false iff an Enforce violation exists (errors are reported separately, see `errors`). */
  allowed: boolean;
  /** Enforce-mode violations: the reasons for a denial. */
  violations: Violation[];
  /** Audit-mode violations: admitted, reported as warnings and audit annotations. */
  warnings: Violation[];
  /** RFC 6902 operations against the admitted object (mutation phase only). */
  patches: JsonPatchOperation[];
  errors: EvaluationError[];
  /** One entry per (policy, rule) evaluated, for metrics and reports. */
  results: RuleResult[];
  /** Per (policy, rule, exemption) that relieved a finding; absent when none did (validation only). */
  exemptions?: AppliedExemption[];
  /** Rules reported `skip` because their verifier declined to check (rule-skipped.ts); absent when none. */
  skipped?: SkippedRule[];
}

/** A rule not judged, and why (e.g. `offline: signatures not checked: container "api" image=…`). */
export interface SkippedRule {
  policy: string;
  /** The rule name as the author wrote it (autogen rules report the Pod rule's name). */
  rule: string;
  reason: string;
}

/** Resolved digest and signature verdict for one image, provided by runtime/images. */
export interface ImageVerdict {
  image: string;
  digest: string;
  verified: boolean;
  /** Why verification failed (unsigned, wrong key, wrong identity, digest mismatch, …). */
  reason?: string;
}

/**
 * The engine's only door to the outside world. Implementations must throw (or reject) on registry
 * errors — an error is never a verdict. An implementation that deliberately does not check (the
 * offline verifiers of `portcullis test`, never the server's) throws RuleSkipped instead.
 */
export interface ImageVerifier {
  /** Resolve a reference to its manifest digest (`sha256:<hex>`). */
  resolveDigest(image: string, rule: Extract<Rule, { type: 'verifyImages' }>, signal?: AbortSignal): Promise<string>;
  /** Verify the signatures of `image` (which carries a digest) against the rule's attestors. */
  verify(image: string, rule: Extract<Rule, { type: 'verifyImages' }>, signal?: AbortSignal): Promise<ImageVerdict>;
  /**
   * Verify the attestations a verifyAttestations rule requires of `image` (resolving a tag first);
   * `reason` says which requirement and condition failed. Absent: the verifier cannot check them.
   */
  verifyAttestations?(image: string, rule: Extract<Rule, { type: 'verifyAttestations' }>, signal?: AbortSignal): Promise<ImageVerdict>;
}

export interface EvaluationContext {
  /** The clock for exemption expiry; injected so evaluation is pure and testable. */
  now: Date;
  images?: ImageVerifier;
  signal?: AbortSignal;
  /**
   * Namespaces never evaluated besides kube-system, kube-node-lease and kube-public: the server
   * and CLIs pass the bundle's `metadata.runtimeNamespace` here.
   */
  excludedNamespaces?: readonly string[];
  /**
   * The bundle's policies, for judging a controller's template as its Pods will be after the Pod
   * defaults those policies apply (pod-defaults-relief.ts). The server passes the whole bundle to
   * its validating paths; `evaluateOffline` defaults it to the policies it evaluates. Absent: every
   * template is judged as written.
   */
  podDefaults?: readonly Policy[];
}

/** Per-rule inputs. */
export interface RuleInput<R extends Rule = Rule> {
  policy: Policy;
  rule: R;
  pod: PodView;
  request: AdmissionInput;
  context: EvaluationContext;
}

export type Validator<R extends Rule = Rule> = (input: RuleInput<R>) => Finding[] | Promise<Finding[]>;
export type Mutator<R extends Rule = Rule> = (
  input: RuleInput<R>,
) => JsonPatchOperation[] | Promise<JsonPatchOperation[]>;

/** A rule family's implementation: validate, mutate, or both (verifyImages). */
export interface RuleFamily<R extends Rule = Rule> {
  validate?: Validator<R>;
  mutate?: Mutator<R>;
}
