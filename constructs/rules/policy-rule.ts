/**
 * The base of every rule construct. A rule is declared once, for Pods; the policy's autogen expands
 * it into one bundle rule per target (Pod and each controller) at synth time.
 */
import { Construct } from 'constructs';
import type { Rule, RuleType, Target } from '../../runtime/bundle';
import { callerLocation, type SourceLocation } from '../source-location';
import type { Policy } from '../policy';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A bundle rule without the parts the policy fills in (name, target, autogenFrom). */
export type RuleSpec = DistributiveOmit<Rule, 'name' | 'target' | 'autogenFrom'>;

const RULE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isPodTarget(target: Target): boolean {
  return target.kind === 'Pod' && target.subresource === undefined;
}

export abstract class PolicyRule extends Construct {
  /** The rule name in the bundle and in messages (`[policy/rule]`): the construct id. */
  readonly ruleName: string;
  /** The policy this rule belongs to. */
  readonly policy: Policy;
  /** Where the rule was declared (for synth error messages). */
  readonly location: SourceLocation | undefined;
  abstract readonly ruleType: RuleType;

  protected constructor(scope: Policy, id: string) {
    super(scope, id);
    this.policy = scope;
    this.ruleName = id;
    this.location = callerLocation();
    this.node.addValidation({ validate: () => [...this.checkName(), ...this.problems()] });
  }

  /** The bundle encoding of this rule's settings. */
  abstract spec(): RuleSpec;

  /** The settings for one target; autogen may relax Pod-only behaviour for controllers. */
  specFor(_target: Target): RuleSpec {
    return this.spec();
  }

  /**
   * Whether autogen emits this rule for a target at all. Every rule applies to every target of its
   * policy, except the defaulting rules, which mutate controllers only when the author opts in
   * (see controller-mutation.ts).
   */
  appliesTo(_target: Target): boolean {
    return true;
  }

  /** Problems with this rule's settings, each saying what is wrong and how to fix it. */
  protected problems(): string[] {
    return [];
  }

  /** The bundle rule for a target. */
  toRule(target: Target): Rule {
    const spec = this.specFor(target);
    if (target.kind === 'Pod') return { ...spec, name: this.ruleName, target };
    return {
      ...spec,
      name: autogenRuleName(target.kind, this.ruleName),
      autogenFrom: this.ruleName,
      target,
    };
  }

  private checkName(): string[] {
    if (RULE_NAME.test(this.ruleName) && this.ruleName.length <= 40) return [];
    return [
      `rule name "${this.ruleName}" is not a lowercase DNS label of at most 40 characters. Fix: rename the construct id, e.g. "${toLabel(this.ruleName)}".`,
    ];
  }
}

/** `autogen-<kind lowercased>-<rule>`, the name autogen gives a controller's copy of a Pod rule. */
export function autogenRuleName(kind: string, rule: string): string {
  return `autogen-${kind.toLowerCase()}-${rule}`;
}

export function toLabel(s: string): string {
  const out = s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out === '' ? 'rule' : out.slice(0, 40);
}
