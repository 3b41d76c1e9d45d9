import type { Policy } from '../policy';
import { PolicyRule, type RuleSpec } from './policy-rule';

export interface PodSecurityProps {
  /**
   * The Pod Security Standards profile to enforce.
   * @default 'restricted'
   */
  readonly level?: 'baseline' | 'restricted';
  /**
   * The PSS version whose checks apply: `latest` or `v1.N` (as the namespace label
   * `pod-security.kubernetes.io/enforce-version` takes it).
   * @default 'latest'
   */
  readonly version?: 'latest' | `v1.${number}`;
}

/**
 * The Pod Security Standards (baseline or restricted), checked control by control; exemptions name
 * the upstream control IDs (see runtime/bundle/pss-controls.ts).
 */
export class PodSecurity extends PolicyRule {
  readonly ruleType = 'podSecurity' as const;
  readonly level: 'baseline' | 'restricted';
  readonly version: string;

  constructor(scope: Policy, id: string, props: PodSecurityProps = {}) {
    super(scope, id);
    this.level = props.level ?? 'restricted';
    this.version = props.version ?? 'latest';
  }

  spec(): RuleSpec {
    return { type: 'podSecurity', level: this.level, version: this.version };
  }

  protected override problems(): string[] {
    if (/^(latest|v1\.(0|[1-9][0-9]*))$/.test(this.version)) return [];
    return [`version "${this.version}" is not a Pod Security version. Fix: use 'latest' or 'v1.N' (e.g. 'v1.28').`];
  }
}
