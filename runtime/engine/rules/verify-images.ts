// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { VerifyImagesRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const verifyImages: RuleFamily<VerifyImagesRule> = {
  validate: () => {
    throw new Error('rule family verifyImages is not implemented yet');
  },
};
