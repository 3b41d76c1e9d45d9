import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AllowedRegistriesRule, DisallowLatestTagRule, RequireDigestRule } from '../../../runtime/bundle';
import { allowedRegistries } from '../../../runtime/engine/rules/allowed-registries';
import { disallowLatestTag } from '../../../runtime/engine/rules/disallow-latest-tag';
import { requireDigest } from '../../../runtime/engine/rules/require-digest';
import { deployment, pod, POD_TARGET, targetFor, validate } from './helpers';

const D = `sha256:${'0123456789abcdef'.repeat(4)}`;
const registries: AllowedRegistriesRule = {
  name: 'registries',
  type: 'allowedRegistries',
  target: POD_TARGET,
  allowed: ['registry.example.com/*', 'ghcr.io/example/**', 'docker.io/library/*'],
};
const digest: RequireDigestRule = { name: 'digest', type: 'requireDigest', target: POD_TARGET };
const latest: DisallowLatestTagRule = { name: 'latest', type: 'disallowLatestTag', target: POD_TARGET };

function images(...list: unknown[]): Record<string, unknown> {
  return pod({ containers: list.map((image, i) => ({ name: `c${i}`, image })) });
}

describe('allowedRegistries', () => {
  it.each([
    'registry.example.com/app:1',
    'REGISTRY.EXAMPLE.COM/app:1',
    'ghcr.io/example/team/app:v2',
    `ghcr.io/example/app@${D}`,
    'nginx:1.25',
    'docker.io/nginx:1.25',
    'index.docker.io/library/redis:7',
  ])('allows %s', async (image) => {
    expect(await validate(allowedRegistries, registries, images(image))).toEqual([]);
  });

  it.each([
    'registry.example.com.evil.io/app:1',
    'registry.example.com:5000/app:1',
    'evil.io/registry.example.com/app',
    'registry.example.com/team/app:1', // * does not cross /
    'ghcr.io/example-evil/app',
    'ghcr.io/examplex/app',
    'ghcr.io/app',
    'myorg/nginx:1', // docker.io/myorg/nginx, not library
    'docker.io/evil/nginx',
    'localhost:5000/app',
  ])('denies lookalike %s', async (image) => {
    const findings = await validate(allowedRegistries, registries, images(image));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      control: 'allowedRegistries',
      field: 'spec.containers[0].image',
      exemptField: 'image',
      values: [image],
      allowed: 'registry.example.com/*, ghcr.io/example/**, docker.io/library/*',
    });
    expect(findings[0].message).toMatch(/^container "c0" image=.* is not allowed: registry\/repository .* is not in the allowed list$/);
  });

  it.each([['NOT VALID'], ['ｒegistry.example.com/app'], [''], [42], ['registry.example.com/App']])(
    'an invalid or missing image %j is a finding, not an exception',
    async (image) => {
      const findings = await validate(allowedRegistries, registries, images(image));
      expect(findings).toHaveLength(1);
      expect(findings[0].field).toBe('spec.containers[0].image');
    },
  );

  it('checks init and ephemeral containers and controllers', async () => {
    const spec = {
      initContainers: [{ name: 'init', image: 'evil.io/init' }],
      containers: [{ name: 'app', image: 'nginx:1' }],
      ephemeralContainers: [{ name: 'dbg', image: 'busybox.evil/x' }],
    };
    expect((await validate(allowedRegistries, registries, pod(spec))).map((f) => f.container?.name)).toEqual(['init', 'dbg']);
    const findings = await validate(allowedRegistries, { ...registries, target: targetFor('Deployment') }, deployment(spec));
    expect(findings.map((f) => f.field)).toEqual([
      'spec.template.spec.initContainers[0].image',
      'spec.template.spec.ephemeralContainers[0].image',
    ]);
  });
});

describe('requireDigest', () => {
  it('allows sha256 digests, with or without a tag', async () => {
    expect(await validate(requireDigest, digest, images(`nginx@${D}`, `ghcr.io/a/b:v1@${D}`))).toEqual([]);
  });

  it.each([
    ['nginx:1.25', 'not pinned by digest'],
    ['nginx', 'not pinned by digest'],
    [`nginx@sha512:${'a'.repeat(128)}`, 'only sha256'],
    ['nginx@sha256:abc', 'not a valid image reference'],
    [`nginx@sha256:${'A'.repeat(64)}`, 'not a valid image reference'],
    [`nginx:${D}`, 'not a valid image reference'], // a digest smuggled in as a tag
  ])('denies %s', async (image, reason) => {
    const findings = await validate(requireDigest, digest, images(image));
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain(reason);
  });
});

describe('disallowLatestTag', () => {
  it.each(['nginx:1.25', `nginx@${D}`, `nginx:latest@${D}`, 'ghcr.io/a/b:latest-1', 'a/b:v1'])('allows %s', async (image) => {
    expect(await validate(disallowLatestTag, latest, images(image))).toEqual([]);
  });

  it.each([
    ['nginx', 'no tag means latest'],
    ['nginx:latest', 'latest tag is mutable'],
    ['ghcr.io/a/b:LATEST', 'LATEST tag is mutable'],
    ['localhost:5000/app', 'no tag means latest'], // the port is not a tag
    ['bad image', 'not a valid image reference'],
  ])('denies %s', async (image, reason) => {
    const findings = await validate(disallowLatestTag, latest, images(image));
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain(reason);
    expect(findings[0].control).toBe('disallowLatestTag');
  });

  it('reports each offending container separately', async () => {
    const findings = await validate(disallowLatestTag, latest, images('a', 'b:1', 'c:latest'));
    expect(findings.map((f) => f.container?.name)).toEqual(['c0', 'c2']);
  });
});

describe('allowedRegistries properties', () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?$/);
  const host = fc.tuple(fc.array(label, { minLength: 2, maxLength: 4 }), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(
    ([labels, port]) => `${labels.join('.')}${port === undefined ? '' : `:${port}`}`,
  );
  const repo = fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));

  it('an image on any other host never passes a registry.example.com/** rule', async () => {
    const rule: AllowedRegistriesRule = { ...registries, allowed: ['registry.example.com/**'] };
    await fc.assert(
      fc.asyncProperty(host, repo, fc.boolean(), async (h, r, upper) => {
        fc.pre(h !== 'registry.example.com');
        const image = `${upper ? h.toUpperCase() : h}/${r}:1`;
        expect(await validate(allowedRegistries, rule, images(image))).toHaveLength(1);
        expect(await validate(allowedRegistries, rule, images(`registry.example.com/${r}:1`))).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
