/**
 * allowedRegistries (validating): every image must come from an allowed registry/repository.
 *
 * Applies to: the image of every `containers`, `initContainers` and `ephemeralContainers` entry.
 * Allowed values: images that, after normalization (implicit `docker.io`, `library/` for one-segment
 * Docker Hub names, `index.docker.io` = `docker.io`, host case folded), match at least one glob of
 * `rule.allowed` in the dialect of image-ref.ts (`*` never crosses `/` nor a `.`/`:` in the host,
 * so `registry.example.com/*` does not admit `registry.example.com.evil.io/x`; `**` spans
 * segments). An image that is missing or not a valid reference is a finding.
 * Finding: control `allowedRegistries`, exemptField `image`, values = [the image as written].
 */
import type { AllowedRegistriesRule } from '../../bundle';
import { matchesImageGlob } from '../image-ref';
import type { Finding, RuleFamily, RuleInput } from '../types';
import { rejectedImages } from './image-findings';

const CONTROL = 'allowedRegistries';

export const allowedRegistries: RuleFamily<AllowedRegistriesRule> = {
  validate: ({ rule, pod }: RuleInput<AllowedRegistriesRule>): Finding[] =>
    rejectedImages(pod, CONTROL, rule.allowed.join(', '), (ref) =>
      rule.allowed.some((g) => matchesImageGlob(g, ref))
        ? undefined
        : `registry/repository ${ref.registry}/${ref.repository} is not in the allowed list`,
    ),
};
