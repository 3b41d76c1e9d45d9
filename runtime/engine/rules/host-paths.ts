// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { HostPathsRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const hostPaths: RuleFamily<HostPathsRule> = {
  validate: () => {
    throw new Error('rule family hostPaths is not implemented yet');
  },
};
