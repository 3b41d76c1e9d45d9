/**
 * Shared by the image families (allowedRegistries, requireDigest, disallowLatestTag): parse every
 * container's image once and turn an unparsable one into a finding. Pure.
 */
import { ImageReferenceError, parseImageReference, type ImageReference } from '../image-ref';
import { showValue } from '../own-fields';
import type { ContainerRef, Finding, PodView } from '../types';

export type ParsedImage = { container: ContainerRef; ref: ImageReference } | { container: ContainerRef; finding: Finding };

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
    try {
      return { container, ref: parseImageReference(raw) };
    } catch (e) {
      if (!(e instanceof ImageReferenceError)) throw e;
      return {
        container,
        finding: {
          control,
          container,
          field,
          exemptField: 'image',
          values: [raw],
          message: `container "${container.name}" image=${showValue(raw)} is not a valid image reference (${e.reason})`,
        },
      };
    }
  });
}
