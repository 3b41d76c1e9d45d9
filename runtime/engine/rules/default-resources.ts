// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { DefaultResourcesRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const defaultResources: RuleFamily<DefaultResourcesRule> = {
  validate: () => {
    throw new Error('rule family defaultResources is not implemented yet');
  },
};
