/**
 * Every rule family, registered in one table keyed by the bundle's rule `type`. The engine looks
 * families up here and nowhere else; a family file exports a RuleFamily (validate and/or mutate).
 */
import type { Rule, RuleType } from '../../bundle';
import type { RuleFamily } from '../types';
import { podSecurity } from './pod-security';
import { verifyImages } from './verify-images';
import { verifyAttestations } from './verify-attestations';
import { defaultResources } from './default-resources';
import { requireResources } from './require-resources';
import { allowedRegistries } from './allowed-registries';
import { requireDigest } from './require-digest';
import { disallowLatestTag } from './disallow-latest-tag';
import { hostPaths } from './host-paths';
import { denyRuntimeSocket } from './deny-runtime-socket';
import { hostNamespaces } from './host-namespaces';
import { requireLabels } from './require-labels';
import { defaultSeccomp } from './default-seccomp';

export type FamilyTable = { [T in RuleType]: RuleFamily<Extract<Rule, { type: T }>> };

export const RULE_FAMILIES: FamilyTable = {
  podSecurity,
  verifyImages,
  verifyAttestations,
  defaultResources,
  requireResources,
  allowedRegistries,
  requireDigest,
  disallowLatestTag,
  hostPaths,
  denyRuntimeSocket,
  hostNamespaces,
  requireLabels,
  defaultSeccomp,
};
