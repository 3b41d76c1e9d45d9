/**
 * Image globs that cannot mean what they say are refused at synth, in every construct that takes
 * image globs (AllowedRegistries, VerifyImages imageReferences / skipImageReferences, Exemption
 * control images): a glob with no registry host is a Docker Hub glob after normalization (`*` is
 * docker.io/library/*), so synth names the construct, says what the glob would have matched and
 * gives the fix (`**`, or the registry host). The explanations are checked against the matcher.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AllowedRegistries, Exemption, keyAttestor, PodSecurity, Policy, VerifyImages, type PortcullisApp } from '../../constructs';
import { implicitDockerHubProblem } from '../../constructs/rules/image-references';
import { imageMatchesAny } from '../../runtime/engine/image-ref';
import { newApp, synthError } from './helpers';

const THIS_FILE = 'test/constructs/image-globs.test.ts';
const ecPublicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** The problems synth reports for one construct path (fails the test when synth succeeds). */
function problemsAt(app: PortcullisApp, constructPath: string): string[] {
  const err = synthError(() => app.build());
  const hits = err.problems.filter((p) => p.path === constructPath);
  for (const h of hits) expect(h.location).toMatch(new RegExp(`^${THIS_FILE}:\\d+$`));
  expect(err.message).toContain(`[${constructPath}]`);
  return hits.map((p) => p.message);
}

function registries(allowed: string[]): PortcullisApp {
  const app = newApp();
  const p = new Policy(app, 'registries', { mode: 'Enforce' });
  new AllowedRegistries(p, 'only-ours', { allowed });
  return app;
}

function signed(imageReferences: string[], skipImageReferences?: string[]): PortcullisApp {
  const app = newApp();
  const p = new Policy(app, 'signed-images', { mode: 'Enforce' });
  new VerifyImages(p, 'signed', {
    imageReferences,
    ...(skipImageReferences ? { skipImageReferences } : {}),
    attestors: [{ entries: [keyAttestor('release', ecPublicKey)] }],
    registries: [{ host: 'registry.example.com' }, { host: 'docker.io' }],
  });
  return app;
}

function exempted(images: string[]): PortcullisApp {
  const app = newApp();
  const p = new Policy(app, 'pod-security');
  new PodSecurity(p, 'restricted');
  new Exemption(p, 'tools', {
    owner: 'team-net',
    reason: 'debugging',
    namespaces: ['tools'],
    controls: [{ control: 'capabilities_restricted', images, field: 'capabilities.add', values: ['NET_ADMIN'] }],
  });
  return app;
}

/** Globs with no registry host (or a Docker Hub one-segment wildcard), and what each really matches / does not match. */
const REFUSED: { glob: string; matches: string; notMatches: string; says: RegExp; fix: RegExp }[] = [
  {
    glob: '*',
    matches: 'nginx:latest',
    notMatches: 'registry.acme.test/shop/api:1.4.2',
    says: /means "docker\.io\/library\/\*": "\*" matches only Docker Hub library images such as docker\.io\/library\/nginx, not every registry/,
    fix: /Fix: write "\*\*" for any image, or the registry host, e.g\. "registry\.example\.com\/\*\*"/,
  },
  {
    glob: '*/*',
    matches: 'bitnami/redis:7',
    notMatches: 'ghcr.io/org/app',
    says: /means "docker\.io\/\*\/\*": its first segment "\*" is not a registry host .* matches only Docker Hub images/,
    fix: /Fix: write "\*\*" for any image, or the registry host, e.g\. "registry\.example\.com\/\*\*"/,
  },
  {
    glob: '*/*/*',
    matches: 'docker.io/a/b/c',
    notMatches: 'quay.io/org/app',
    says: /means "docker\.io\/\*\/\*\/\*".*matches only Docker Hub images/,
    fix: /Fix: write "\*\*" for any image/,
  },
  {
    glob: 'shop/*',
    matches: 'shop/api',
    notMatches: 'registry.acme.test/shop/api',
    says: /means "docker\.io\/shop\/\*": "shop" is not a registry host \(a first segment is a registry host only if it contains "\." or ":" or is "localhost"\), so it matches only Docker Hub images under docker\.io\/shop\//,
    fix: /Fix: .*e\.g\. "registry\.example\.com\/shop\/\*" \(or "docker\.io\/shop\/\*" if Docker Hub is really meant\)/,
  },
  {
    glob: 'ghcr/team/app',
    matches: 'docker.io/ghcr/team/app',
    notMatches: 'ghcr.io/team/app',
    says: /"ghcr" is not a registry host/,
    fix: /"docker\.io\/ghcr\/team\/app" if Docker Hub is really meant/,
  },
  {
    glob: 'nginx',
    matches: 'docker.io/library/nginx:1.27',
    notMatches: 'registry.example.com/nginx',
    says: /means "docker\.io\/library\/nginx" \(the Docker Hub library image\)/,
    fix: /Fix: write "docker\.io\/library\/nginx" to say so, or the registry it comes from, e\.g\. "registry\.example\.com\/nginx"/,
  },
  {
    glob: 'library/*',
    matches: 'redis',
    notMatches: 'registry.example.com/library/redis',
    says: /means "docker\.io\/library\/\*"/,
    fix: /"docker\.io\/library\/\*" if Docker Hub is really meant/,
  },
  {
    glob: '*:1.4.2',
    matches: 'nginx:1.4.2',
    notMatches: 'registry.acme.test/shop/api:1.4.2',
    says: /means "docker\.io\/library\/\*:1\.4\.2"/,
    fix: /Fix: write "\*\*:1\.4\.2" for any image, or the registry host, e\.g\. "registry\.example\.com\/\*\*:1\.4\.2"/,
  },
  {
    glob: 'docker.io/*',
    matches: 'docker.io/library/nginx',
    notMatches: 'docker.io/bitnami/redis',
    says: /"docker\.io\/\*" means "docker\.io\/library\/\*": .*matches only Docker Hub library images .*not all of Docker Hub/,
    fix: /Fix: write "docker\.io\/library\/\*" for the library images, or "docker\.io\/\*\*" for all of Docker Hub/,
  },
  {
    glob: 'registry.example.com',
    matches: 'docker.io/library/registry.example.com',
    notMatches: 'registry.example.com/team/app',
    says: /names no repository.*means "docker\.io\/library\/registry\.example\.com"/,
    fix: /Fix: write "registry\.example\.com\/\*\*" for every image of that registry/,
  },
  {
    glob: 'localhost:5000',
    matches: 'localhost:5000',
    notMatches: 'localhost:5000/app',
    says: /names no repository/,
    fix: /Fix: write "localhost:5000\/\*\*"/,
  },
  {
    glob: 'Registry/app',
    matches: '',
    notMatches: 'registry/app',
    says: /only because it has an uppercase letter.*matches no image/,
    fix: /Fix: write the full registry host/,
  },
];

/** Globs that say what they match: a written host, a leading `**`, or an explicit Docker Hub path. */
const ACCEPTED = [
  '**',
  '**/app',
  '**:v1',
  'registry.example.com/**',
  'registry.example.com/team/*',
  '*.example.com/**',
  'localhost:5000/app',
  '[::1]:5000/app',
  'docker.io/**',
  'docker.io/library/*',
  'docker.io/library/nginx',
  'docker.io/nginx',
  'index.docker.io/bitnami/*',
];

describe('image globs with no registry host', () => {
  for (const r of REFUSED) {
    it(`"${r.glob}": the explanation matches what the matcher does`, () => {
      const problem = implicitDockerHubProblem(r.glob);
      expect(problem).toMatch(r.says);
      expect(problem).toMatch(r.fix);
      if (r.matches !== '') expect(imageMatchesAny([r.glob], r.matches), `${r.glob} vs ${r.matches}`).toBe(true);
      expect(imageMatchesAny([r.glob], r.notMatches), `${r.glob} vs ${r.notMatches}`).toBe(false);
    });
  }

  it('the suggested fixes match what the author meant', () => {
    expect(imageMatchesAny(['**'], 'registry.acme.test/shop/api:1.4.2')).toBe(true);
    expect(imageMatchesAny(['**'], 'nginx:latest')).toBe(true);
    expect(imageMatchesAny(['registry.acme.test/shop/*'], 'registry.acme.test/shop/api:1.4.2')).toBe(true);
    expect(imageMatchesAny(['docker.io/**'], 'bitnami/redis')).toBe(true);
    expect(imageMatchesAny(['registry.example.com/**'], 'registry.example.com/team/app')).toBe(true);
  });

  for (const g of ACCEPTED) {
    it(`accepts "${g}"`, () => {
      expect(implicitDockerHubProblem(g)).toBeUndefined();
    });
  }

  it('AllowedRegistries: synth refuses each, naming the construct, its file, the meaning and the fix', () => {
    for (const r of REFUSED) {
      const messages = problemsAt(registries([r.glob]), 'registries/only-ours');
      const hit = messages.find((m) => r.says.test(m));
      expect(hit, `${r.glob}: ${messages.join('\n')}`).toBeDefined();
      expect(hit).toMatch(r.fix);
      expect(hit?.startsWith(`allowed: "${r.glob}"`)).toBe(true);
    }
  });

  it('AllowedRegistries: the issue example — "*" is refused, "**" and a host glob synthesize', () => {
    const messages = problemsAt(registries(['registry.acme.test/shop/**', '*']), 'registries/only-ours');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('"*" matches only Docker Hub library images such as docker.io/library/nginx, not every registry');
    for (const fixed of [['**'], ['registry.acme.test/**'], ['docker.io/library/*', 'registry.acme.test/shop/**'], ACCEPTED]) {
      const { bundle } = registries(fixed).build();
      const rule = bundle.policies[0].rules.find((x) => x.type === 'allowedRegistries');
      expect(rule).toMatchObject({ allowed: fixed });
    }
  });

  it('VerifyImages: imageReferences and skipImageReferences are checked the same way', () => {
    const refs = problemsAt(signed(['*']), 'signed-images/signed');
    expect(refs.some((m) => m.startsWith('imageReferences: "*" has no registry host') && /not every registry/.test(m))).toBe(true);
    const skips = problemsAt(signed(['registry.example.com/**'], ['shop/*']), 'signed-images/signed');
    expect(skips).toHaveLength(1);
    expect(skips[0]).toMatch(/^skipImageReferences: "shop\/\*" has no registry host, so it means "docker\.io\/shop\/\*"/);
    expect(() => signed(['registry.example.com/**', 'docker.io/library/nginx'], ['registry.example.com/vendor/**']).build()).not.toThrow();
  });

  it('VerifyImages: a bare "**" names no registry to contact, so it is refused as a wildcard host', () => {
    const messages = problemsAt(signed(['**']), 'signed-images/signed');
    expect(messages.some((m) => /imageReferences "\*\*" has a wildcard registry host/.test(m))).toBe(true);
  });

  it('Exemption: control images are checked the same way', () => {
    const messages = problemsAt(exempted(['network-tools']), 'pod-security/tools');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^control "capabilities_restricted" images: "network-tools" has no registry host, so it means "docker\.io\/library\/network-tools"/);
    expect(messages[0]).toMatch(/Fix: write "docker\.io\/library\/network-tools" to say so/);
    expect(() => exempted(['registry.example.com/platform/network-tools']).build()).not.toThrow();
  });
});
