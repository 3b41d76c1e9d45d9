// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { PodSecurityRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const podSecurity: RuleFamily<PodSecurityRule> = {
  validate: () => {
    throw new Error('rule family podSecurity is not implemented yet');
  },
};
