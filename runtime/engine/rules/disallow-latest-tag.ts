/**
 * disallowLatestTag (validating): no image may float on `:latest`.
 *
 * Applies to: the image of every `containers`, `initContainers` and `ephemeralContainers` entry.
 * Denied: an explicit `latest` tag (compared case-insensitively: `LATEST` is just as mutable), or
 * no tag at all (which the runtimes resolve to `latest`) — unless the reference carries a digest,
 * in which case the runtimes pull exactly that content and the tag is irrelevant. An invalid
 * reference is a finding.
 * Allowed values: any other tag, or any reference with a digest.
 * Finding: control `disallowLatestTag`, exemptField `image`, values = [the image as written].
 */
import type { DisallowLatestTagRule } from '../../bundle';
import type { Finding, RuleFamily, RuleInput } from '../types';
import { rejectedImages } from './image-findings';

const CONTROL = 'disallowLatestTag';
const ALLOWED = 'a specific tag other than latest, or a digest';

export const disallowLatestTag: RuleFamily<DisallowLatestTagRule> = {
  validate: ({ pod }: RuleInput<DisallowLatestTagRule>): Finding[] =>
    rejectedImages(pod, CONTROL, ALLOWED, (ref) => {
      if (ref.digest !== undefined) return undefined;
      if (ref.tag === undefined) return 'no tag means latest';
      return ref.tag.toLowerCase() === 'latest' ? `the ${ref.tag} tag is mutable` : undefined;
    }),
};
