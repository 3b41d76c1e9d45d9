/**
 * Shared by the image families (allowedRegistries, requireDigest, disallowLatestTag, verifyImages):
 * parse every container's image once and turn an unparsable one into a finding. Pure.
 */
import { ImageReferenceError, parseImageReference, type ImageReference } from '../image-ref';
import { showValue } from '../own-fields';
import type { ContainerRef, Finding, PodView } from '../types';

export type ParsedImage = { container: ContainerRef; ref: ImageReference } | { container: ContainerRef; finding: Finding };

type ParseOutcome = { ref: ImageReference } | { error: ImageReferenceError };

/**
 * Parse outcomes per container of one PodView: the three image families read the same PodView of a
 * request, so each image is parsed once per request instead of once per family. Keyed weakly by
 * the ContainerRef, so nothing outlives the request.
 */
const parsedByContainer = new WeakMap<ContainerRef, ParseOutcome>();

function parseOnce(container: ContainerRef, raw: string): ParseOutcome {
  let outcome = parsedByContainer.get(container);
  if (outcome === undefined) {
    try {
      outcome = { ref: parseImageReference(raw) };
    } catch (e) {
      if (!(e instanceof ImageReferenceError)) throw e;
      outcome = { error: e };
    }
    parsedByContainer.set(container, outcome);
  }
  return outcome;
}

/** Every container of every kind (containers, initContainers, ephemeralContainers) with its parsed image. */
export function parsedImages(pod: PodView, control: string): ParsedImage[] {
  return pod.containers.map((container) => {
    const field = `${container.field}.image`;
    const raw = container.container.image;
    if (typeof raw !== 'string' || raw === '') {
      return {
        container,
        finding: {
          control,
          container,
          field,
          exemptField: 'image',
          values: [showValue(raw)],
          message: `container "${container.name}" has no image: image=${showValue(raw)} is not allowed`,
        },
      };
    }
    const outcome = parseOnce(container, raw);
    if ('ref' in outcome) return { container, ref: outcome.ref };
    return {
      container,
      finding: {
        control,
        container,
        field,
        exemptField: 'image',
        values: [raw],
        message: `container "${container.name}" image=${showValue(raw)} is not a valid image reference (${outcome.error.reason})`,
      },
    };
  });
}

/**
 * The findings of a per-image rule: one for every image that cannot be parsed, and one for every
 * parsed image `reject` gives a reason for (`container "app" image=… is not allowed: <reason>`).
 * exemptField `image`, values = [the image as written]; `allowed` is what the message offers instead.
 */
export function rejectedImages(
  pod: PodView,
  control: string,
  allowed: string,
  reject: (ref: ImageReference) => string | undefined,
): Finding[] {
  const findings: Finding[] = [];
  for (const p of parsedImages(pod, control)) {
    if ('finding' in p) {
      findings.push({ ...p.finding, allowed });
      continue;
    }
    const reason = reject(p.ref);
    if (reason === undefined) continue;
    const c = p.container;
    findings.push({
      control,
      container: c,
      field: `${c.field}.image`,
      exemptField: 'image',
      values: [c.image],
      allowed,
      message: `container "${c.name}" image=${c.image} is not allowed: ${reason}`,
    });
  }
  return findings;
}
