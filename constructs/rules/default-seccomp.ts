import type { Target } from '../../runtime/bundle';
import type { Policy } from '../policy';
import { controllerMutationProblems, defaultsApplyTo, type ControllerMutationProps } from './controller-mutation';
import { PolicyRule, type RuleSpec } from './policy-rule';

export interface DefaultSeccompProps extends ControllerMutationProps {
  /**
   * The profile set on pods that declare none (containers with their own profile keep it).
   * @default 'RuntimeDefault'
   */
  readonly profile?: 'RuntimeDefault';
}

/**
 * Mutating: sets `securityContext.seccompProfile.type: RuntimeDefault` where no profile is set.
 * Pods only, unless `mutateControllers` (see controller-mutation.ts for why).
 */
export class DefaultSeccomp extends PolicyRule {
  readonly ruleType = 'defaultSeccomp' as const;
  readonly mutateControllers: boolean;

  constructor(scope: Policy, id: string, props: DefaultSeccompProps = {}) {
    super(scope, id);
    this.mutateControllers = props.mutateControllers ?? false;
  }

  spec(): RuleSpec {
    return { type: 'defaultSeccomp', profile: 'RuntimeDefault' };
  }

  override appliesTo(target: Target): boolean {
    return defaultsApplyTo(target, this.mutateControllers);
  }

  protected override problems(): string[] {
    return controllerMutationProblems(this, this.mutateControllers);
  }
}
