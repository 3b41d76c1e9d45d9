// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { DisallowLatestTagRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const disallowLatestTag: RuleFamily<DisallowLatestTagRule> = {
  validate: () => {
    throw new Error('rule family disallowLatestTag is not implemented yet');
  },
};
