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
import { rejectedImages } from './image-findings';

const CONTROL = 'requireDigest';
const ALLOWED = 'an image pinned by digest, e.g. registry/repo@sha256:<64 hex>';

export const requireDigest: RuleFamily<RequireDigestRule> = {
  validate: ({ pod }: RuleInput<RequireDigestRule>): Finding[] =>
    rejectedImages(pod, CONTROL, ALLOWED, (ref) => {
      if (ref.digest === undefined) return 'it is not pinned by digest';
      return ref.digest.startsWith('sha256:') ? undefined : 'only sha256 digests are accepted';
    }),
};
