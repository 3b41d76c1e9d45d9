/** Images only from the team registry, by digest, never `latest`. */
import type { Construct } from 'constructs';
import { AllowedRegistries, DisallowLatestTag, Policy, RequireDigest } from '../constructs';
import type { TeamConfig } from './config';

export function imageReferences(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'image-references', {
    description: 'Images come from the team registry, referenced by digest, never by the latest tag.',
    mode: config.modes.imageReferences,
  });
  new AllowedRegistries(policy, 'team-registry-only', { allowed: [config.registry.images] });
  new RequireDigest(policy, 'digest-only');
  new DisallowLatestTag(policy, 'no-latest');
  return policy;
}
