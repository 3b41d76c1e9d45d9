/**
 * The shape of a Pod Security control compiled to CEL, mirroring runtime/engine/pss/check.ts: the
 * control ID, and its revisions by the minimum policy version (v1.N minor) from which each
 * applies — the same minVersions as the engine check (test/native/pod-security.test.ts asserts it).
 * A revision's `compile` returns a CEL `list<string>` of the control's finished violation lines
 * (the engine's findings of that check, in its order, after the policy's exemptions), or the
 * reason it cannot be expressed exactly. The expressions read the variables compile.ts declares
 * (`spec`, `meta`, `specField`, `metaField`, `containers`, `kind`, `objectLabels`); the building
 * blocks are in findings.ts.
 */
import type { Policy, PssControl, Target } from '../../bundle';
import type { ExemptionFinding, ExemptionTerm } from '../compile';

export interface ControlContext {
  policy: Policy;
  /** The rule name a developer knows (autogen copies report the Pod rule's name). */
  ruleName: string;
  targets: readonly Target[];
  control: PssControl;
  /** The exemption terms of the policy for one finding of this control (compile.ts exemptionTerms). */
  terms: (finding: ExemptionFinding) => ExemptionTerm[] | { reason: string };
  /** The bundle's policies, when synth gives them (CompileOptions.podDefaults): the Pod-defaults relief. */
  podDefaults?: readonly Policy[];
}

export type ControlCompile = (ctx: ControlContext) => string | { reason: string };

export interface NativeControlRevision {
  /** Minor version N of policy version v1.N from which this revision applies. */
  minVersion: number;
  compile: ControlCompile;
}

export interface NativeControl {
  id: PssControl;
  /** Ascending by minVersion; the same minVersions as the engine check. */
  revisions: readonly NativeControlRevision[];
}

/** The revision that applies at minor `minor`: the newest with minVersion <= minor (registry.ts revisionAt). */
export function nativeRevisionAt(control: NativeControl, minor: number): NativeControlRevision | undefined {
  let out: NativeControlRevision | undefined;
  for (const r of control.revisions) if (r.minVersion <= minor) out = r;
  return out;
}
