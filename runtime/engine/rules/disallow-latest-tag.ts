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
import { parsedImages } from './image-findings';

const CONTROL = 'disallowLatestTag';
const ALLOWED = 'a specific tag other than latest, or a digest';

export const disallowLatestTag: RuleFamily<DisallowLatestTagRule> = {
  validate: ({ pod }: RuleInput<DisallowLatestTagRule>): Finding[] => {
    const findings: Finding[] = [];
    for (const p of parsedImages(pod, CONTROL)) {
      if ('finding' in p) {
        findings.push({ ...p.finding, allowed: ALLOWED });
        continue;
      }
      const { ref, container: c } = p;
      if (ref.digest !== undefined) continue;
      if (ref.tag !== undefined && ref.tag.toLowerCase() !== 'latest') continue;
      findings.push({
        control: CONTROL,
        container: c,
        field: `${c.field}.image`,
        exemptField: 'image',
        values: [c.image],
        allowed: ALLOWED,
        message:
          ref.tag === undefined
            ? `container "${c.name}" image=${c.image} is not allowed: no tag means latest`
            : `container "${c.name}" image=${c.image} is not allowed: the ${ref.tag} tag is mutable`,
      });
    }
    return findings;
  },
};
