// PLACEHOLDER: replaced by the family's implementation. Evaluating this family throws until then.
import type { HostNamespacesRule } from '../../bundle';
import type { RuleFamily } from '../types';

export const hostNamespaces: RuleFamily<HostNamespacesRule> = {
  validate: () => {
    throw new Error('rule family hostNamespaces is not implemented yet');
  },
};
