/** The bundle diff's data model: what one enforcement change is, and how modules report one. */
import type { Sentence } from './sentence';

export type Direction = 'stricter' | 'looser' | 'neutral';

export type ChangeKind =
  | 'bundle-changed'
  | 'policy-added'
  | 'policy-removed'
  | 'mode-changed'
  | 'failure-policy-changed'
  | 'timeout-changed'
  | 'scope-changed'
  | 'rule-added'
  | 'rule-removed'
  | 'rule-changed'
  | 'signing-changed'
  | 'registries-changed'
  | 'exemption-added'
  | 'exemption-removed'
  | 'exemption-widened'
  | 'exemption-narrowed'
  | 'exemption-changed'
  | 'exemption-expired'
  | 'webhook-added'
  | 'webhook-removed'
  | 'webhook-changed'
  | 'trust-changed'
  | 'enforcement-moved';

export interface EnforcementChange {
  kind: ChangeKind;
  direction: Direction;
  /** The policy concerned; absent for webhook, trust and bundle-level changes. */
  policy?: string;
  rule?: string;
  exemption?: string;
  webhook?: string;
  sentence: Sentence;
}

export interface BundleDiff {
  oldHash: string;
  newHash: string;
  identical: boolean;
  changes: EnforcementChange[];
  summary: Record<Direction, number>;
}

export interface DiffOptions {
  /** Clock for "has expired"; exemptions whose expiresAt is at or before it are reported as expired. */
  now: Date;
}

export type Emit = (kind: ChangeKind, direction: Direction, sentence: Sentence, where?: Partial<EnforcementChange>) => void;
