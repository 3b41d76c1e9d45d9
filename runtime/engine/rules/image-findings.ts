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
 * Parse outcomes per image string: the three image families read the same images, and a cluster
 * admits the same images over and over, so each is parsed once. Bounded (cleared when full) so
 * arbitrary input cannot grow it; outcomes are frozen and shared read-only.
 */
const PARSED_MAX = 1024;
const parsedImagesMemo = new Map<string, ParseOutcome>();

function parseOnce(raw: string): ParseOutcome {
  let outcome = parsedImagesMemo.get(raw);
  if (outcome === undefined) {
    try {
      outcome = Object.freeze({ ref: Object.freeze(parseImageReference(raw)) });
    } catch (e) {
      if (!(e instanceof ImageReferenceError)) throw e;
      outcome = Object.freeze({ error: e });
    }
    if (parsedImagesMemo.size >= PARSED_MAX) parsedImagesMemo.clear();
    parsedImagesMemo.set(raw, outcome);
  }
  return outcome;
}

/** An image that cannot be checked (missing, or not a valid reference): a finding on `<container>.image`. */
function unusableImage(control: string, container: ContainerRef, values: string[], message: string): ParsedImage {
  return { container, finding: { control, container, field: `${container.field}.image`, exemptField: 'image', values, message } };
}

/** Every container of every kind (containers, initContainers, ephemeralContainers) with its parsed image. */
export function parsedImages(pod: PodView, control: string): ParsedImage[] {
  return pod.containers.map((container) => {
    const raw = container.container.image;
    if (typeof raw !== 'string' || raw === '') {
      return unusableImage(control, container, [showValue(raw)], `container "${container.name}" has no image: image=${showValue(raw)} is not allowed`);
    }
    const outcome = parseOnce(raw);
    if ('ref' in outcome) return { container, ref: outcome.ref };
    return unusableImage(
      control,
      container,
      [raw],
      `container "${container.name}" image=${showValue(raw)} is not a valid image reference (${outcome.error.reason})`,
    );
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
