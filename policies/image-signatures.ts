/**
 * Every image from the team's registry must be signed by its CI (keyless) or the release key; tags
 * are pinned to the verified digest. And (in Audit while teams adopt it) carry SLSA provenance from
 * the team's CI builder, for a repository of the organization and a protected ref.
 */
import type { Construct } from 'constructs';
import { keyAttestor, keylessAttestor, Policy, slsaProvenance, VerifyAttestations, VerifyImages } from '../constructs';
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

export function imageProvenance(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'image-provenance', {
    description: 'Images from the team registry must carry SLSA provenance, signed by CI, saying our CI builder built them from an organization repository at main or a release tag.',
    mode: config.modes.imageProvenance,
    // While auditing, a registry outage must not block deployments (failurePolicy Fail would deny).
    failurePolicy: config.modes.imageProvenance === 'Audit' ? 'Ignore' : 'Fail',
    timeoutSeconds: 15,
  });
  new VerifyAttestations(policy, 'built-by-ci', {
    imageReferences: [config.registry.images],
    attestations: [
      slsaProvenance('provenance', {
        attestors: [{ entries: [keylessAttestor('ci-keyless', [{ issuer: config.ci.issuer, subject: config.ci.subject }])] }],
        builderId: config.provenance.builderId,
        sourceRepository: { pattern: config.provenance.sourceRepositoryPattern },
        sourceRef: { pattern: config.provenance.sourceRefPattern },
      }),
    ],
    requestTimeoutMs: 5000,
    registries: [{ host: config.registry.host }],
  });
  return policy;
}
