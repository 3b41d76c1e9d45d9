import type { Policy } from '../policy';
import { PolicyRule, type RuleSpec } from './policy-rule';

export interface DefaultSeccompProps {
  /**
   * The profile set on pods that declare none (containers with their own profile keep it).
   * @default 'RuntimeDefault'
   */
  readonly profile?: 'RuntimeDefault';
}

/** Mutating: sets `securityContext.seccompProfile.type: RuntimeDefault` where no profile is set. */
export class DefaultSeccomp extends PolicyRule {
  readonly ruleType = 'defaultSeccomp' as const;

  constructor(scope: Policy, id: string, _props: DefaultSeccompProps = {}) {
    super(scope, id);
  }

  spec(): RuleSpec {
    return { type: 'defaultSeccomp', profile: 'RuntimeDefault' };
  }


}
