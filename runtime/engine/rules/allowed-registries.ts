// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { AllowedRegistriesRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const allowedRegistries: RuleFamily<AllowedRegistriesRule> = {
  validate: () => {
    throw new Error('rule family allowedRegistries is not implemented yet');
  },
};
