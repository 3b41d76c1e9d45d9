/**
 * verifyAttestations (validating): "nothing runs unless its signed attestations say it was built,
 * scanned and inventoried the way we require".
 *
 * Applies to every `containers`, `initContainers` and `ephemeralContainers` image that matches one
 * of `imageReferences` and none of `skipImageReferences`. For each distinct image the verifier
 * (`context.images.verifyAttestations`) resolves the digest (a tag is resolved, never pinned: pinning
 * is verifyImages' job) and checks every attestation requirement; a failed requirement is a finding
 * whose message names the requirement, the attestor and the condition with the value that failed.
 * An image on a registry the rule does not name is a finding (never contacted). Registry failures
 * are thrown: the engine reports them as errors and the webhook's failurePolicy decides. A verifier
 * that declines to check (RuleSkipped, offline CLIs only) makes the rule report `skip` when it has
 * nothing else to report.
 *
 * Findings: control `verifyAttestations`, field `<container>.image`, exemptField `image`,
 * values = [image] (so an exemption can relieve attestations without relieving signatures).
 */
import type { VerifyAttestationsRule } from '../../bundle';
import { matchesImageGlob, type ImageReference } from '../image-ref';
import { RuleSkipped } from '../rule-skipped';
import type { ContainerRef, Finding, ImageVerdict, RuleFamily, RuleInput } from '../types';
import { parsedImages } from './image-findings';

const CONTROL = 'verifyAttestations';

function selected(rule: VerifyAttestationsRule, ref: ImageReference): boolean {
  return (
    rule.imageReferences.some((g) => matchesImageGlob(g, ref)) &&
    !(rule.skipImageReferences ?? []).some((g) => matchesImageGlob(g, ref))
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isNamed(err: unknown, name: string): err is Error {
  return err instanceof Error && err.name === name;
}

function finding(c: ContainerRef, allowed: string, message: string): Finding {
  return { control: CONTROL, container: c, field: `${c.field}.image`, exemptField: 'image', values: [c.image], allowed, message };
}

async function validate(input: RuleInput<VerifyAttestationsRule>): Promise<Finding[]> {
  const { rule, pod } = input;
  const allowed = `images with verified attestations ${rule.attestations.map((a) => `"${a.name}"`).join(', ')}`;
  const findings: Finding[] = [];
  const toVerify: ContainerRef[] = [];
  for (const p of parsedImages(pod, CONTROL)) {
    if ('finding' in p) {
      findings.push({ ...p.finding, allowed }); // cannot be shown to be unselected: fail closed
      continue;
    }
    if (selected(rule, p.ref)) toVerify.push(p.container);
  }
  if (toVerify.length === 0) return findings;
  const images = input.context.images;
  if (images?.verifyAttestations === undefined) throw new Error('verifyAttestations needs an image verifier that checks attestations, and none is configured');
  const check = images.verifyAttestations.bind(images);
  const unique = [...new Set(toVerify.map((c) => c.image))];
  const settled = await Promise.allSettled(unique.map((image) => check(image, rule, input.context.signal)));
  const verdicts = new Map<string, PromiseSettledResult<ImageVerdict>>(unique.map((image, i) => [image, settled[i]]));
  const errors: string[] = [];
  const skipped = new Map<string, string[]>();
  for (const c of toVerify) {
    const r = verdicts.get(c.image);
    if (r === undefined) continue;
    if (r.status === 'fulfilled') {
      if (!r.value.verified) {
        // The failed condition before the image: admission warnings are cut to 120 characters.
        const where = c.image.includes(r.value.digest) ? `image=${c.image}` : `image=${c.image}, digest ${r.value.digest}`;
        findings.push(finding(c, allowed, `container "${c.name}" is not allowed: ${r.value.reason ?? 'attestations not verified'} (${where})`));
      }
    } else if (isNamed(r.reason, 'RegistryNotAllowedError')) {
      findings.push(finding(c, allowed, `container "${c.name}" image=${c.image} is not allowed: ${errorText(r.reason)}`));
    } else if (r.reason instanceof RuleSkipped) {
      skipped.set(r.reason.message, [...(skipped.get(r.reason.message) ?? []), `container "${c.name}" image=${c.image}`]);
    } else {
      errors.push(`container "${c.name}" image=${c.image}: attestation check failed: ${errorText(r.reason)}`);
    }
  }
  if (errors.length > 0) throw new Error(errors.join('; '));
  if (findings.length === 0 && skipped.size > 0) {
    throw new RuleSkipped([...skipped].map(([reason, containers]) => `${reason}: ${containers.join(', ')}`).join('; '));
  }
  return findings;
}

export const verifyAttestations: RuleFamily<VerifyAttestationsRule> = { validate };
