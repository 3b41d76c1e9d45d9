// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { RequireResourcesRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const requireResources: RuleFamily<RequireResourcesRule> = {
  validate: () => {
    throw new Error('rule family requireResources is not implemented yet');
  },
};
