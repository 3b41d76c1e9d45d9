import { checkImageGlob } from '../../runtime/engine/image-ref';
import type { Policy } from '../policy';
import { PolicyRule, type RuleSpec } from './policy-rule';

/** Problems with a list of image globs (see runtime/engine/image-ref.ts for the dialect). */
export function globProblems(what: string, globs: readonly string[]): string[] {
  const out: string[] = [];
  for (const g of globs) {
    if (/^[a-z]+:\/\//i.test(g)) {
      out.push(`${what}: "${g}" has a URL scheme. Fix: write the registry host and path only, e.g. "registry.example.com/team/**".`);
      continue;
    }
    const e = checkImageGlob(g);
    if (e !== undefined) out.push(`${what}: "${g}" is not a valid image glob (${e}). Fix: see the glob dialect in runtime/engine/image-ref.ts.`);
  }
  return out;
}

export interface AllowedRegistriesProps {
  /**
   * Image globs after normalization: `*` stays within one path segment (and one DNS label in the
   * host), `**` spans segments. `registry.example.com/**` allows everything from that registry;
   * Docker Hub images normalize to `docker.io/library/…`.
   */
  readonly allowed: readonly string[];
}

/** Validating: every container image must come from an allowed registry/repository. */
export class AllowedRegistries extends PolicyRule {
  readonly ruleType = 'allowedRegistries' as const;
  readonly allowed: string[];

  constructor(scope: Policy, id: string, props: AllowedRegistriesProps) {
    super(scope, id);
    this.allowed = [...props.allowed];
  }

  spec(): RuleSpec {
    return { type: 'allowedRegistries', allowed: this.allowed };
  }

  protected override problems(): string[] {
    if (this.allowed.length === 0) {
      return ['allows no registry, so it would reject every pod. Fix: list at least one registry glob.'];
    }
    return globProblems('allowed', this.allowed);
  }
}

/** Validating: every image reference must carry a digest (`@sha256:…`). */
export class RequireDigest extends PolicyRule {
  readonly ruleType = 'requireDigest' as const;

  constructor(scope: Policy, id: string) {
    super(scope, id);
  }

  spec(): RuleSpec {
    return { type: 'requireDigest' };
  }
}

/** Validating: no image may use the `latest` tag or omit the tag (which means `latest`). */
export class DisallowLatestTag extends PolicyRule {
  readonly ruleType = 'disallowLatestTag' as const;

  constructor(scope: Policy, id: string) {
    super(scope, id);
  }

  spec(): RuleSpec {
    return { type: 'disallowLatestTag' };
  }
}
