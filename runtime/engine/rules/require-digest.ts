/**
 * requireDigest (validating): every image must be pinned by content digest.
 *
 * Applies to: the image of every `containers`, `initContainers` and `ephemeralContainers` entry.
 * Allowed values: references carrying `@sha256:<64 lowercase hex>` (a tag may also be present:
 * `repo:tag@sha256:…`, the runtimes pull by the digest). Other algorithms, a missing digest, or an
 * invalid reference are findings. In Enforce, the mutating webhook's digest pinning (verifyImages
 * `mutateDigest`) runs first, so tag references that can be resolved arrive here pinned.
 * Finding: control `requireDigest`, exemptField `image`, values = [the image as written].
 */
import type { RequireDigestRule } from '../../bundle';
import type { Finding, RuleFamily, RuleInput } from '../types';
import { parsedImages } from './image-findings';

const CONTROL = 'requireDigest';
const ALLOWED = 'an image pinned by digest, e.g. registry/repo@sha256:<64 hex>';

export const requireDigest: RuleFamily<RequireDigestRule> = {
  validate: ({ pod }: RuleInput<RequireDigestRule>): Finding[] => {
    const findings: Finding[] = [];
    for (const p of parsedImages(pod, CONTROL)) {
      if ('finding' in p) {
        findings.push({ ...p.finding, allowed: ALLOWED });
        continue;
      }
      if (p.ref.digest?.startsWith('sha256:')) continue;
      const c = p.container;
      findings.push({
        control: CONTROL,
        container: c,
        field: `${c.field}.image`,
        exemptField: 'image',
        values: [c.image],
        allowed: ALLOWED,
        message:
          p.ref.digest === undefined
            ? `container "${c.name}" image=${c.image} is not allowed: it is not pinned by digest`
            : `container "${c.name}" image=${c.image} is not allowed: only sha256 digests are accepted`,
      });
    }
    return findings;
  },
};
