/**
 * verifyImages (mutating and validating): "nothing runs unless it is our signed image".
 *
 * Applies to: every `containers`, `initContainers` and `ephemeralContainers` image that matches one
 * of the rule's `imageReferences` globs and none of its `skipImageReferences` (dialect and Docker
 * Hub normalization: runtime/engine/image-ref.ts).
 *
 * - **mutate** (`mutateDigest`, Enforce only; runs in the mutating webhook after every defaulting
 *   mutation): rewrites `repo:tag` to `repo:tag@sha256:…`, the digest the tag resolves to now (for a
 *   multi-arch image, the index digest — the one that is signed). Pinning follows the rule's target:
 *   on Pods by default. Pinning controllers (Deployments, …) is opt-in at synth, because a GitOps
 *   tool such as Argo CD would then see the live template differ from Git (drift) on every sync.
 *   Images on registries the rule does not name are left alone (validation reports them).
 * - **validate**: with `verifyDigest`, an image without a digest is a finding; with `required`, the
 *   image (its digest, resolved if only a tag is given) must carry signatures that satisfy every
 *   attestor set — otherwise a finding with the verifier's reason. An image on a registry the rule
 *   does not name cannot be verified and is a finding too (never contacted). Registry failures
 *   (unreachable, deadline, 5xx) are thrown: the engine reports them as errors and the webhook's
 *   failurePolicy decides.
 * - **skip** (offline only): a verifier that declines to check an image (RuleSkipped, thrown by the
 *   verifiers `portcullis test` chooses, never by the server's) leaves it unpinned and unjudged; a
 *   rule with nothing else to report is then skipped with the reason. Findings and errors for the
 *   rule's other images still win. A digest finding for an image the mutation would have pinned
 *   (mutateDigest, Enforce) is part of that skip: online, it would have been pinned.
 *
 * Findings: control `verifyImages`, field `<container>.image`, exemptField `image`, values = [image].
 * Registry access goes only through `context.images` (the ImageVerifier interface).
 */
import type { VerifyImagesRule } from '../../bundle';
import { matchesImageGlob, type ImageReference } from '../image-ref';
import { RuleSkipped } from '../rule-skipped';
import type { ContainerRef, Finding, ImageVerdict, ImageVerifier, JsonPatchOperation, RuleFamily, RuleInput } from '../types';
import { parsedImages } from './image-findings';

const CONTROL = 'verifyImages';

export function imageSelected(rule: VerifyImagesRule, ref: ImageReference): boolean {
  return (
    rule.imageReferences.some((g) => matchesImageGlob(g, ref)) &&
    !(rule.skipImageReferences ?? []).some((g) => matchesImageGlob(g, ref))
  );
}

function verifierOf(input: RuleInput<VerifyImagesRule>): ImageVerifier {
  const images = input.context.images;
  if (images === undefined) throw new Error('verifyImages needs an image verifier, and none is configured');
  return images;
}

/** The verifier refused the registry before any network I/O (not configured for this rule). */
function isRegistryNotAllowed(err: unknown): boolean {
  return err instanceof Error && err.name === 'RegistryNotAllowedError';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function attestorNames(rule: VerifyImagesRule): string {
  return rule.attestors.map((set) => set.entries.map((e) => `"${e.name}"`).join(set.count !== undefined ? ` (${set.count} of)` : ' and ')).join('; ');
}

/** One RuleSkipped for the containers whose images the verifier declined, grouped by its reason. */
function skippedRule(skipped: ReadonlyArray<{ c: ContainerRef; reason: string }>): RuleSkipped {
  const byReason = new Map<string, string[]>();
  for (const { c, reason } of skipped) {
    const containers = byReason.get(reason) ?? [];
    containers.push(`container "${c.name}" image=${c.image}`);
    byReason.set(reason, containers);
  }
  return new RuleSkipped([...byReason].map(([reason, containers]) => `${reason}: ${containers.join(', ')}`).join('; '));
}

function finding(c: ContainerRef, allowed: string, message: string): Finding {
  return { control: CONTROL, container: c, field: `${c.field}.image`, exemptField: 'image', values: [c.image], allowed, message };
}

/** Run `work` once per distinct image; errors are collected per image, not thrown. */
async function perImage<T>(images: readonly string[], work: (image: string) => Promise<T>): Promise<Map<string, { value?: T; error?: unknown }>> {
  const unique = [...new Set(images)];
  const settled = await Promise.allSettled(unique.map(work));
  const out = new Map<string, { value?: T; error?: unknown }>();
  settled.forEach((s, i) => out.set(unique[i], s.status === 'fulfilled' ? { value: s.value } : { error: s.reason }));
  return out;
}

async function mutate(input: RuleInput<VerifyImagesRule>): Promise<JsonPatchOperation[]> {
  const { policy, rule, pod } = input;
  if (!rule.mutateDigest || policy.mode !== 'Enforce') return [];
  const toPin: ContainerRef[] = [];
  for (const p of parsedImages(pod, CONTROL)) {
    if ('finding' in p || p.ref.digest !== undefined || !imageSelected(rule, p.ref)) continue;
    toPin.push(p.container);
  }
  if (toPin.length === 0) return [];
  const images = verifierOf(input);
  const resolved = await perImage(
    toPin.map((c) => c.image),
    (image) => images.resolveDigest(image, rule, input.context.signal),
  );
  const ops: JsonPatchOperation[] = [];
  const errors: string[] = [];
  const skipped: Array<{ c: ContainerRef; reason: string }> = [];
  for (const c of toPin) {
    const r = resolved.get(c.image);
    if (r?.value !== undefined) {
      ops.push({ op: 'replace', path: `${c.pointer}/image`, value: `${c.image}@${r.value}` });
    } else if (r?.error instanceof RuleSkipped) {
      skipped.push({ c, reason: r.error.message });
    } else if (!isRegistryNotAllowed(r?.error)) {
      errors.push(`container "${c.name}" image=${c.image}: cannot resolve digest: ${errorText(r?.error)}`);
    }
  }
  if (errors.length > 0) throw new Error(errors.join('; '));
  if (ops.length === 0 && skipped.length > 0) throw skippedRule(skipped);
  return ops;
}

async function validate(input: RuleInput<VerifyImagesRule>): Promise<Finding[]> {
  const { rule, pod } = input;
  const findings: Finding[] = [];
  const toVerify: ContainerRef[] = [];
  /** Digest findings of images the mutation pins: moot if their check is skipped (offline). */
  const unpinned = new Map<ContainerRef, Finding>();
  const pins = rule.mutateDigest && input.policy.mode === 'Enforce';
  const signedBy = `images signed by attestors ${attestorNames(rule)}`;
  for (const p of parsedImages(pod, CONTROL)) {
    if ('finding' in p) {
      // An image that cannot be parsed cannot be shown to be unselected: fail closed.
      findings.push({ ...p.finding, allowed: signedBy });
      continue;
    }
    if (!imageSelected(rule, p.ref)) continue;
    const c = p.container;
    if (rule.verifyDigest && p.ref.digest === undefined) {
      const f = finding(c, 'an image pinned by digest (repo:tag@sha256:…)', `container "${c.name}" image=${c.image} is not allowed: it is not pinned by digest`);
      findings.push(f);
      if (pins && rule.required) unpinned.set(c, f);
    }
    if (rule.required) toVerify.push(c);
  }
  if (toVerify.length === 0) return findings;
  const images = verifierOf(input);
  const verdicts = await perImage<ImageVerdict>(
    toVerify.map((c) => c.image),
    (image) => images.verify(image, rule, input.context.signal),
  );
  const errors: string[] = [];
  const skipped: Array<{ c: ContainerRef; reason: string }> = [];
  for (const c of toVerify) {
    const r = verdicts.get(c.image);
    if (r?.error instanceof RuleSkipped) {
      skipped.push({ c, reason: r.error.message });
      continue;
    }
    if (r?.value !== undefined) {
      if (!r.value.verified) {
        findings.push(finding(c, signedBy, `container "${c.name}" image=${c.image} is not allowed: signature verification of ${r.value.digest} failed: ${r.value.reason ?? 'not verified'}`));
      }
    } else if (isRegistryNotAllowed(r?.error)) {
      findings.push(finding(c, signedBy, `container "${c.name}" image=${c.image} is not allowed: ${errorText(r?.error)}`));
    } else {
      errors.push(`container "${c.name}" image=${c.image}: signature check failed: ${errorText(r?.error)}`);
    }
  }
  if (errors.length > 0) throw new Error(errors.join('; '));
  if (skipped.length === 0) return findings;
  const moot = new Set(skipped.map(({ c }) => unpinned.get(c)));
  const reported = findings.filter((f) => !moot.has(f));
  if (reported.length === 0) throw skippedRule(skipped);
  return reported;
}

export const verifyImages: RuleFamily<VerifyImagesRule> = { mutate, validate };
