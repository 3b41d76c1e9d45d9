// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { DefaultSeccompRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const defaultSeccomp: RuleFamily<DefaultSeccompRule> = {
  validate: () => {
    throw new Error('rule family defaultSeccomp is not implemented yet');
  },
};
