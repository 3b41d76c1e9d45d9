// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { DenyRuntimeSocketRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const denyRuntimeSocket: RuleFamily<DenyRuntimeSocketRule> = {
  validate: () => {
    throw new Error('rule family denyRuntimeSocket is not implemented yet');
  },
};
