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
import { matchesImageGlob, type ImageReference } from '../image-ref';
import type { Finding, RuleFamily, RuleInput } from '../types';
import { rejectedImages } from './image-findings';

const CONTROL = 'allowedRegistries';

/**
 * Per rule: its allowed list as text (for messages) and the verdict per normalized image. A
 * cluster admits the same images over and over, so each is matched against the globs once per
 * rule object (a reload brings new rule objects). Bounded (cleared when full).
 */
interface RuleMemo {
  allowedText: string;
  verdicts: Map<string, string | undefined>;
}
const VERDICTS_MAX = 1024;
const memos = new WeakMap<AllowedRegistriesRule, RuleMemo>();

function memoOf(rule: AllowedRegistriesRule): RuleMemo {
  let memo = memos.get(rule);
  if (memo === undefined) {
    memo = { allowedText: rule.allowed.join(', '), verdicts: new Map() };
    memos.set(rule, memo);
  }
  return memo;
}

function verdict(rule: AllowedRegistriesRule, memo: RuleMemo, ref: ImageReference): string | undefined {
  if (memo.verdicts.has(ref.normalized)) return memo.verdicts.get(ref.normalized);
  const reason = rule.allowed.some((g) => matchesImageGlob(g, ref))
    ? undefined
    : `registry/repository ${ref.registry}/${ref.repository} is not in the allowed list`;
  if (memo.verdicts.size >= VERDICTS_MAX) memo.verdicts.clear();
  memo.verdicts.set(ref.normalized, reason);
  return reason;
}

export const allowedRegistries: RuleFamily<AllowedRegistriesRule> = {
  validate: ({ rule, pod }: RuleInput<AllowedRegistriesRule>): Finding[] => {
    const memo = memoOf(rule);
    return rejectedImages(pod, CONTROL, memo.allowedText, (ref) => verdict(rule, memo, ref));
  },
};
