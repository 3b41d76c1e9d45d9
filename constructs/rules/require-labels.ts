import { checkPattern } from '../../runtime/engine/safe-regex';
import { checkLabelKey } from '../selectors';
import type { Policy } from '../policy';
import { PolicyRule, type RuleSpec } from './policy-rule';

/** A required label: its key, and optionally an anchored regular expression its value must match. */
export interface RequiredLabel {
  readonly key: string;
  /** Anchored (`^(?:…)$`) by the engine; e.g. `v\d+\.\d+\.\d+`. */
  readonly valuePattern?: string;
}

export interface RequireLabelsProps {
  /** Labels the pod (the pod template, for controllers) must carry: keys, or key + value pattern. */
  readonly labels: ReadonlyArray<string | RequiredLabel>;
}

/** Validating: the pod must carry the listed labels (values matching the patterns, when given). */
export class RequireLabels extends PolicyRule {
  readonly ruleType = 'requireLabels' as const;
  readonly labels: Array<{ key: string; valuePattern?: string }>;

  constructor(scope: Policy, id: string, props: RequireLabelsProps) {
    super(scope, id);
    this.labels = props.labels.map((l) =>
      typeof l === 'string' ? { key: l } : l.valuePattern === undefined ? { key: l.key } : { key: l.key, valuePattern: l.valuePattern },
    );
  }

  spec(): RuleSpec {
    return { type: 'requireLabels', labels: this.labels };
  }

  protected override problems(): string[] {
    const out: string[] = [];
    if (this.labels.length === 0) out.push('requires no label. Fix: list at least one label key.');
    const seen = new Set<string>();
    for (const l of this.labels) {
      const e = checkLabelKey(l.key);
      if (e !== undefined) out.push(`${e}. Fix: use a valid Kubernetes label key.`);
      if (seen.has(l.key)) out.push(`label "${l.key}" is listed twice. Fix: keep one entry.`);
      seen.add(l.key);
      if (l.valuePattern !== undefined) {
        const why = checkPattern(l.valuePattern);
        if (why !== undefined) {
          out.push(`valuePattern for "${l.key}" is refused by the engine: ${why}. Fix: simplify the pattern (no nested or many overlapping quantifiers).`);
        }
      }
    }
    return out;
  }
}
