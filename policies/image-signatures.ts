/** Every image from the team's registry must be signed by its CI (keyless) or the release key; tags are pinned to the verified digest. */
import type { Construct } from 'constructs';
import { keyAttestor, keylessAttestor, Policy, VerifyImages } from '../constructs';
import type { TeamConfig } from './config';

export function imageSignatures(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'image-signatures', {
    description: 'Images from the team registry must carry a Cosign signature from CI (keyless) or the release key; tags are pinned to the verified digest.',
    mode: config.modes.imageSignatures,
    failurePolicy: 'Fail',
    timeoutSeconds: 15,
  });
  new VerifyImages(policy, 'signed-by-ci', {
    imageReferences: [config.registry.images],
    attestors: [
      {
        count: 1,
        entries: [
          keylessAttestor('ci-keyless', [{ issuer: config.ci.issuer, subject: config.ci.subject }]),
          keyAttestor(config.signingKey.name, config.signingKey.publicKeyPem),
        ],
      },
    ],
    mutateDigest: true,
    verifyDigest: true,
    requestTimeoutMs: 5000,
    registries: [{ host: config.registry.host }],
  });
  return policy;
}
