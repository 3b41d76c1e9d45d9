// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { RequireLabelsRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const requireLabels: RuleFamily<RequireLabelsRule> = {
  validate: () => {
    throw new Error('rule family requireLabels is not implemented yet');
  },
};
