// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { RequireDigestRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const requireDigest: RuleFamily<RequireDigestRule> = {
  validate: () => {
    throw new Error('rule family requireDigest is not implemented yet');
  },
};
