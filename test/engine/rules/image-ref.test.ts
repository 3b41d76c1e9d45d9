import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkImageGlob,
  ImageReferenceError,
  imageMatchesAny,
  matchesImageGlob,
  parseImageReference,
  type ImageReference,
} from '../../../runtime/engine/image-ref';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference: normalization', () => {
  it.each([
    ['nginx', 'docker.io', 'library/nginx', undefined, undefined, 'docker.io/library/nginx'],
    ['nginx:1.25', 'docker.io', 'library/nginx', '1.25', undefined, 'docker.io/library/nginx:1.25'],
    ['bitnami/redis', 'docker.io', 'bitnami/redis', undefined, undefined, 'docker.io/bitnami/redis'],
    ['docker.io/nginx', 'docker.io', 'library/nginx', undefined, undefined, 'docker.io/library/nginx'],
    ['index.docker.io/nginx', 'docker.io', 'library/nginx', undefined, undefined, 'docker.io/library/nginx'],
    ['index.docker.io/org/app:v1', 'docker.io', 'org/app', 'v1', undefined, 'docker.io/org/app:v1'],
    ['registry-1.docker.io/org/app', 'docker.io', 'org/app', undefined, undefined, 'docker.io/org/app'],
    ['ghcr.io/org/team/app:v2', 'ghcr.io', 'org/team/app', 'v2', undefined, 'ghcr.io/org/team/app:v2'],
    ['localhost/app', 'localhost', 'app', undefined, undefined, 'localhost/app'],
    ['localhost:5000/app:dev', 'localhost:5000', 'app', 'dev', undefined, 'localhost:5000/app:dev'],
    ['127.0.0.1:5000/a/b', '127.0.0.1:5000', 'a/b', undefined, undefined, '127.0.0.1:5000/a/b'],
    ['[::1]:5000/app', '[::1]:5000', 'app', undefined, undefined, '[::1]:5000/app'],
    ['Registry.Example.COM/app', 'registry.example.com', 'app', undefined, undefined, 'registry.example.com/app'],
    [`nginx@${D}`, 'docker.io', 'library/nginx', undefined, D, `docker.io/library/nginx@${D}`],
    [`r.io:443/x/y:t@${D}`, 'r.io:443', 'x/y', 't', D, `r.io:443/x/y:t@${D}`],
    ['a/b_c__d-e---f.g:TAG_1.-x', 'docker.io', 'a/b_c__d-e---f.g', 'TAG_1.-x', undefined, 'docker.io/a/b_c__d-e---f.g:TAG_1.-x'],
  ])('%s', (input, registry, repository, tag, digest, normalized) => {
    const r = parseImageReference(input);
    expect(r.registry).toBe(registry);
    expect(r.repository).toBe(repository);
    expect(r.tag).toBe(tag);
    expect(r.digest).toBe(digest);
    expect(r.normalized).toBe(normalized);
  });

  it('normalized form re-parses to itself', () => {
    for (const s of ['nginx', 'index.docker.io/a/b:c', `localhost:5000/x@${D}`, 'Registry.Example.com/a']) {
      const once = parseImageReference(s);
      expect(parseImageReference(once.normalized)).toEqual(once);
    }
  });
});

describe('parseImageReference: rejects', () => {
  it.each([
    ['empty', '', 'empty'],
    ['lowercase', 'NGINX', 'lowercase'],
    ['lowercase', 'docker.io/Library/nginx', 'lowercase'],
    ['ambiguous', 'Registry/app', 'ambiguous'],
    ['empty tag', 'nginx:', 'empty tag'],
    ['empty repository', ':tag', 'empty repository'],
    ['64 hex', 'nginx@sha256:abc', '64 hex'],
    ['lowercase', `nginx@sha256:${'A'.repeat(64)}`, 'lowercase'],
    ['unsupported digest', `nginx@md5:${'a'.repeat(32)}`, 'unsupported digest'],
    ['unsupported digest', `nginx@__proto__:${'a'.repeat(64)}`, 'unsupported digest'],
    ['unsupported digest', `nginx@constructor:${'a'.repeat(64)}`, 'unsupported digest'],
    ['algorithm:hex', 'nginx@', 'algorithm:hex'],
    ['invalid repository', 'a//b', 'invalid repository'],
    ['invalid repository', 'a/b/', 'invalid repository'],
    ['invalid repository', '-a/b', 'invalid repository'],
    ['invalid repository', 'a/b-', 'invalid repository'],
    ['invalid repository', 'a/b..c', 'invalid repository'],
    ['invalid repository', 'a/b___c', 'invalid repository'],
    ['port', 'reg.io:99999/a', 'port'],
    ['port', 'reg.io:/a', 'port'],
    ['host', 'reg-.io/a', 'host'],
    ['IPv6', '[zz]:5000/a', 'IPv6'],
    ['whitespace', 'nginx latest', 'whitespace'],
    ['whitespace', 'nginx\n', 'whitespace'],
    ['non-ASCII', 'ngïnx', 'non-ASCII'],
    ['non-ASCII', '\u212Aube/app', 'non-ASCII'], // Kelvin sign: toLowerCase() would make it "k"
    ['non-ASCII', 'ｒegistry.io/app', 'non-ASCII'], // fullwidth letter
    ['image ID', 'a'.repeat(64), 'image ID'],
    ['tag longer', `nginx:${'t'.repeat(129)}`, 'tag longer'],
    ['invalid tag', `nginx:.bad`, 'invalid tag'],
    ['longer than 255', `r.io/${'a'.repeat(300)}`, 'longer than 255'],
    ['longer than', 'x'.repeat(100_000), 'longer than'],
  ])('%#: rejects %j', (_label, input, reason) => {
    expect(() => parseImageReference(input)).toThrow(ImageReferenceError);
    expect(() => parseImageReference(input)).toThrow(reason);
  });

  it('never throws anything but ImageReferenceError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) => {
        try {
          const r = parseImageReference(s);
          expect(parseImageReference(r.normalized)).toEqual(r);
        } catch (e) {
          expect(e).toBeInstanceOf(ImageReferenceError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

function ref(s: string): ImageReference {
  return parseImageReference(s);
}

describe('matchesImageGlob', () => {
  it('host segment must match exactly: lookalike hosts do not pass', () => {
    const g = 'registry.example.com/*';
    expect(matchesImageGlob(g, ref('registry.example.com/app'))).toBe(true);
    expect(matchesImageGlob(g, ref('REGISTRY.example.com/app'))).toBe(true);
    for (const evil of [
      'registry.example.com.evil.io/app',
      'registry.example.com:5000/app',
      'evilregistry.example.com/app',
      'registry-example.com/app',
      'registry.example.co/app',
      'registry.example.com.evil.io/registry.example.com/app',
      'docker.io/registry.example.com/app',
    ]) {
      expect(matchesImageGlob(g, ref(evil)), evil).toBe(false);
    }
  });

  it('* never crosses /', () => {
    expect(matchesImageGlob('ghcr.io/org/*', ref('ghcr.io/org/app:v1'))).toBe(true);
    expect(matchesImageGlob('ghcr.io/org/*', ref('ghcr.io/org/team/app'))).toBe(false);
    expect(matchesImageGlob('ghcr.io/*', ref('ghcr.io/org/app'))).toBe(false);
    expect(matchesImageGlob('ghcr.io/org/app-*', ref('ghcr.io/org/app-web'))).toBe(true);
    expect(matchesImageGlob('ghcr.io/org/app-*', ref('ghcr.io/org/api-web'))).toBe(false);
  });

  it('* in the host stays inside one DNS label and never covers the port', () => {
    expect(matchesImageGlob('*.example.com/**', ref('a.example.com/x/y'))).toBe(true);
    expect(matchesImageGlob('*.example.com/**', ref('a.b.example.com/x'))).toBe(false);
    expect(matchesImageGlob('*.*.example.com/**', ref('a.b.example.com/x'))).toBe(true);
    expect(matchesImageGlob('*.example.com/**', ref('example.com/x'))).toBe(false);
    expect(matchesImageGlob('*.example.com/**', ref('a.example.com:443/x'))).toBe(false);
    expect(matchesImageGlob('registry.example.com*/x', ref('registry.example.com.evil.io/x'))).toBe(false);
    expect(matchesImageGlob('*.example.com:*/**', ref('a.example.com:5000/x'))).toBe(true);
    expect(matchesImageGlob('localhost:*/app', ref('localhost:5000/app'))).toBe(true);
    expect(matchesImageGlob('localhost:*/app', ref('localhost/app'))).toBe(false);
  });

  it('** matches zero or more whole segments', () => {
    expect(matchesImageGlob('ghcr.io/org/**', ref('ghcr.io/org/a/b/c'))).toBe(true);
    expect(matchesImageGlob('ghcr.io/org/**', ref('ghcr.io/org/a'))).toBe(true);
    expect(matchesImageGlob('ghcr.io/org/**', ref('ghcr.io/orgx/a'))).toBe(false);
    expect(matchesImageGlob('ghcr.io/**/app', ref('ghcr.io/app'))).toBe(true);
    expect(matchesImageGlob('ghcr.io/**/app', ref('ghcr.io/a/b/app'))).toBe(true);
    expect(matchesImageGlob('ghcr.io/**/app', ref('ghcr.io/a/b/app2'))).toBe(false);
    expect(matchesImageGlob('ghcr.io/**/x/**/y', ref('ghcr.io/x/x/y/y'))).toBe(true);
    expect(matchesImageGlob('ghcr.io/**/x/**/y', ref('ghcr.io/y/x'))).toBe(false);
    expect(matchesImageGlob('**', ref('anything.io/a/b:c'))).toBe(true);
    expect(matchesImageGlob('**/app', ref('r.io/team/app'))).toBe(true);
  });

  it('globs get Docker Hub normalization', () => {
    expect(matchesImageGlob('nginx', ref('docker.io/library/nginx:1'))).toBe(true);
    expect(matchesImageGlob('docker.io/nginx', ref('nginx'))).toBe(true);
    expect(matchesImageGlob('index.docker.io/library/*', ref('redis'))).toBe(true);
    expect(matchesImageGlob('myorg/*', ref('docker.io/myorg/app'))).toBe(true);
    expect(matchesImageGlob('myorg/*', ref('ghcr.io/myorg/app'))).toBe(false);
    expect(matchesImageGlob('docker.io/*', ref('nginx'))).toBe(true);
    expect(matchesImageGlob('docker.io/*', ref('myorg/app'))).toBe(false);
    expect(matchesImageGlob('*', ref('nginx:1'))).toBe(true);
    expect(matchesImageGlob('*', ref('myorg/app'))).toBe(false);
    expect(matchesImageGlob('docker.io/**', ref('nginx'))).toBe(true);
  });

  it('tag and digest parts', () => {
    expect(matchesImageGlob('ghcr.io/org/app:v1.*', ref('ghcr.io/org/app:v1.2'))).toBe(true);
    expect(matchesImageGlob('ghcr.io/org/app:v1.*', ref('ghcr.io/org/app:v2.0'))).toBe(false);
    expect(matchesImageGlob('ghcr.io/org/app:v1.*', ref(`ghcr.io/org/app@${D}`))).toBe(false);
    expect(matchesImageGlob('ghcr.io/org/app:*', ref('ghcr.io/org/app'))).toBe(false);
    expect(matchesImageGlob(`ghcr.io/org/app@${D}`, ref(`ghcr.io/org/app:v1@${D}`))).toBe(true);
    expect(matchesImageGlob('ghcr.io/org/app@sha256:*', ref('ghcr.io/org/app:v1'))).toBe(false);
    expect(matchesImageGlob('ghcr.io/org/app', ref(`ghcr.io/org/app:v1@${D}`))).toBe(true);
  });

  it('invalid globs match nothing and are reported', () => {
    for (const g of ['', 'a//b', 'r.io/a b', 'r.io/ä', 'x:', 'x@']) {
      expect(checkImageGlob(g), g).toBeTypeOf('string');
      expect(matchesImageGlob(g, ref('r.io/a'))).toBe(false);
    }
    expect(checkImageGlob('ghcr.io/org/**')).toBeUndefined();
  });

  it('imageMatchesAny treats invalid images as non-matching', () => {
    expect(imageMatchesAny(['**'], 'NOT VALID')).toBe(false);
    expect(imageMatchesAny(['ghcr.io/**', 'nginx'], 'nginx:1')).toBe(true);
  });

  it('agrees with a reference segment matcher on random inputs', () => {
    // Oracle: exhaustive recursive matcher (exponential, fine for tiny inputs).
    const seg = (p: string, s: string): boolean => {
      if (p === '') return s === '';
      if (p[0] === '*') return [...Array(s.length + 1).keys()].some((k) => seg(p.slice(1), s.slice(k)));
      return s[0] === p[0] && seg(p.slice(1), s.slice(1));
    };
    const segs = (p: string[], s: string[]): boolean => {
      if (p.length === 0) return s.length === 0;
      if (p[0] === '**') return [...Array(s.length + 1).keys()].some((k) => segs(p.slice(1), s.slice(k)));
      return s.length > 0 && seg(p[0], s[0]) && segs(p.slice(1), s.slice(1));
    };
    const part = fc.stringMatching(/^[ab*]{1,4}$/);
    const subjectPart = fc.stringMatching(/^[ab]{1,4}$/);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(part, fc.constant('**')), { minLength: 1, maxLength: 4 }),
        fc.array(subjectPart, { minLength: 1, maxLength: 5 }),
        (pattern, path) => {
          const image: ImageReference = {
            registry: 'r.io',
            repository: path.join('/'),
            normalized: `r.io/${path.join('/')}`,
          };
          const glob = `r.io/${pattern.join('/')}`;
          expect(matchesImageGlob(glob, image)).toBe(segs(pattern, path));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
