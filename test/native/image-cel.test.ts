/**
 * The CEL image parser (runtime/native/image-cel.ts) against runtime/engine/image-ref.ts
 * `parseImageReference`: status, the engine's reason for an invalid reference, tag, digest,
 * registry and repository, over hand-picked edge cases and fast-check generated references.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkImageGlob, ImageReferenceError, matchesImageGlob, parseImageReference } from '../../runtime/engine/image-ref';
import { IMG, imageGlobCel, parsedImagesCel } from '../../runtime/native/image-cel';
import { program } from './cel-harness';

const parse = program(parsedImagesCel());

function viaCel(image: string | undefined): string[] {
  const containers = [{ name: 'c', ...(image !== undefined ? { image } : {}) }];
  return (parse({ variables: { containers } }) as string[][])[0];
}

function viaEngine(image: string | undefined): Record<string, string> {
  if (image === undefined || image === '') return { status: 'none' };
  try {
    const r = parseImageReference(image);
    return { status: 'ok', tag: r.tag ?? '', hasTag: r.tag !== undefined ? '1' : '', digest: r.digest ?? '', hasDigest: r.digest !== undefined ? '1' : '', registry: r.registry, repository: r.repository };
  } catch (e) {
    if (!(e instanceof ImageReferenceError)) throw e;
    return { status: 'bad', reason: e.reason };
  }
}

function celView(image: string | undefined): Record<string, string> {
  const t = viaCel(image);
  if (t[IMG.status] === 'none') return { status: 'none' };
  if (t[IMG.status] === 'bad') return { status: 'bad', reason: t[IMG.reason] };
  return { status: 'ok', tag: t[IMG.tag], hasTag: t[IMG.hasTag], digest: t[IMG.digest], hasDigest: t[IMG.hasDigest], registry: t[IMG.registry], repository: t[IMG.repository] };
}

const HEX64 = 'a'.repeat(64);
export const EDGE_IMAGES: (string | undefined)[] = [
  undefined, '', 'nginx', 'nginx:latest', 'nginx:LATEST', 'library/nginx:1.25', 'docker.io/nginx', 'index.docker.io/library/nginx:1',
  'registry-1.docker.io/x/y', 'Docker.IO/x', 'localhost/app', 'localhost:5000/app:v1', 'Registry/app', 'REGISTRY.example.com/app',
  'registry.example.com:5000/team/app:v1.2@sha256:' + HEX64, 'registry.example.com/app@sha256:' + HEX64, `app@sha512:${'b'.repeat(128)}`,
  `app@sha384:${'c'.repeat(96)}`, 'app@sha256:abc', `app@sha256:${'A'.repeat(64)}`, 'app@md5:abc', 'app@sha256', `app@"x\\y:z`, 'app@',
  'app:', 'app:-x', `app:${'t'.repeat(129)}`, `app:${'t'.repeat(128)}`, ':tag', HEX64, `${HEX64}:v1`, 'App', 'a b', 'é', 'app\u0000',
  `a/${'x'.repeat(300)}`, `r.io/${'x'.repeat(246)}`, `r.io/${'x'.repeat(245)}`, `${'x'.repeat(247)}`, `${'x'.repeat(246)}`,
  'x'.repeat(521), '[::1]:5000/app', '[::1]/app', '[fe80::1%eth0]/app', '[::1/app', '[::1]x/app', '[::1]:99999/app', '[g::1]/app',
  'r.io:/app', 'r.io:65536/app', 'r.io:065535/app', 'r.io:1:2/app', '-r.io/app', 'r..io/app', 'r.io/a__b/c--d/e.f_g', 'r.io/a___b',
  'r.io/a.-b', 'r.io//app', 'r.io/app/', 'r.io/App', `r.io/${'"'.repeat(3)}`, `r.io/${'\\'.repeat(2)}x`, `r.io/${'q'.repeat(201)}-`, 'a:b/c',
  'a/b:c/d', 'a@b@c', 'r.io/app:v1@sha256:' + HEX64, 'r.io/app:latest@sha256:' + HEX64,
];

describe('the CEL image parser equals parseImageReference', () => {
  it('on the edge cases (every reason of the engine is reached)', () => {
    const reasons = new Set<string>();
    for (const image of EDGE_IMAGES) {
      const engine = viaEngine(image);
      expect(celView(image), JSON.stringify(image)).toEqual(engine);
      if (engine.reason !== undefined) reasons.add(engine.reason.replace(/".*"/, '"…"'));
    }
    expect(reasons.size).toBeGreaterThanOrEqual(20);
  });

  it('on generated references', () => {
    const part = fc.constantFrom('a', 'b1', 'x-y', 'a.b', 'a__b', 'A', '', '_', '-', 'docker.io', 'localhost', 'r.io:5000', '[::1]', 'é', ' ', '"', '\\', HEX64);
    const image = fc.tuple(
      fc.array(part, { minLength: 1, maxLength: 4 }).map((p) => p.join('/')),
      fc.option(fc.constantFrom('', 'v1', 'latest', 'Latest', '-x', 'a.b-c_d', 't'.repeat(129)), { nil: undefined }),
      fc.option(fc.constantFrom('', 'sha256:' + HEX64, 'sha256:' + HEX64.slice(1), 'sha512:' + 'f'.repeat(128), 'md5:x', 'sha256', 'sha256:' + 'G'.repeat(64)), { nil: undefined }),
    ).map(([n, t, d]) => n + (t !== undefined ? `:${t}` : '') + (d !== undefined ? `@${d}` : ''));
    let ok = 0;
    fc.assert(
      fc.property(fc.oneof(image, fc.string({ maxLength: 40 })), (img) => {
        const engine = viaEngine(img);
        expect(celView(img), JSON.stringify(img)).toEqual(engine);
        if (engine.status === 'ok') ok += 1;
      }),
      { numRuns: 3000 },
    );
    expect(ok).toBeGreaterThan(100);
  });
});

describe('the CEL image glob equals matchesImageGlob', () => {
  const GLOBS = [
    '**', 'nginx', '*', 'docker.io/*', 'docker.io/**', 'index.docker.io/library/nginx', 'myorg/*', 'myorg/**', 'registry.example.com/*',
    'registry.example.com/**', 'Registry.Example.com/team/*', 'registry.example.com*/**', '*.example.com/**', '*.*.example.com/**',
    '*.example.com:*/**', 'r.io:5000/app', 'r.io/**/app', 'r.io/**/x/**/app', '**/app', '**/library/*', 'r.io/a*b*c', 'r.io/app:v*',
    'r.io/app:*', 'r.io/app@sha256:*', 'r.io/app:v1@sha256:*', 'localhost:5000/**', 'localhost/app', '[::1]:5000/**', 'r.io/a.b/**',
    'r.io/**:latest', 'docker.io/library/nginx:1.*', 'r.io/app**x', 'r.io/*/*', 'registry-1.docker.io/x/*',
  ];
  const IMAGES = [
    'nginx', 'nginx:1.25', 'docker.io/nginx:latest', 'myorg/app', 'myorg/team/app', 'registry.example.com/app', 'registry.example.com/team/app',
    'registry.example.com.evil.io/app', 'registry.example.comx/app', 'a.example.com/x', 'a.b.example.com/x', 'a.example.com:5000/x',
    'r.io:5000/app', 'r.io/app', 'r.io/x/app', 'r.io/x/y/app', 'r.io/x/z/app', 'r.io/abc', 'r.io/axbyc', 'r.io/ab', 'r.io/app:v1',
    `r.io/app@sha256:${'a'.repeat(64)}`, `r.io/app:v1@sha256:${'a'.repeat(64)}`, 'localhost:5000/app', 'localhost/app', '[::1]:5000/app',
    'r.io/a.b/c', 'r.io/appyx', 'r.io/appx', 'r.io/a/b', 'r.io/a/b/c', 'x/y', 'registry-1.docker.io/x/y', 'library/nginx:1.2',
  ];

  it('on every listed glob and image (valid globs; the invalid ones the caller drops)', () => {
    let matched = 0;
    for (const glob of GLOBS) {
      expect(checkImageGlob(glob), glob).toBeUndefined();
      const cel = program(`${parsedImagesCel()}.map(t, ${imageGlobCel(glob, 't')})`);
      for (const image of IMAGES) {
        const ref = parseImageReference(image);
        const got = (cel({ variables: { containers: [{ name: 'c', image }] } }) as boolean[])[0];
        expect(got, `${glob} on ${image}`).toBe(matchesImageGlob(glob, ref));
        if (got) matched += 1;
      }
    }
    expect(matched).toBeGreaterThan(60);
  });

  it('on generated globs and images', () => {
    const seg = fc.constantFrom('a', 'b', 'ab', 'a*', '*b', '*', '**', 'a.b', 'x*y', 'r.io', '*.io', 'r.io:*', 'library');
    const glob = fc.tuple(fc.array(seg, { minLength: 1, maxLength: 4 }), fc.option(fc.constantFrom('v*', '*', 'v1'), { nil: undefined })).map(([s, t]) => s.join('/') + (t !== undefined ? `:${t}` : ''));
    const img = fc.tuple(fc.array(fc.constantFrom('a', 'b', 'ab', 'axy', 'xay', 'a.b', 'r.io', 'x.io', 'r.io:5000', 'library'), { minLength: 1, maxLength: 4 }), fc.option(fc.constantFrom('v1', 'latest'), { nil: undefined })).map(([s, t]) => s.join('/') + (t !== undefined ? `:${t}` : ''));
    let compared = 0;
    fc.assert(
      fc.property(glob, img, (g, image) => {
        if (checkImageGlob(g) !== undefined) return;
        let ref;
        try {
          ref = parseImageReference(image);
        } catch {
          return;
        }
        const got = (program(`${parsedImagesCel()}.map(t, ${imageGlobCel(g, 't')})`)({ variables: { containers: [{ name: 'c', image }] } }) as boolean[])[0];
        expect(got, `${g} on ${image}`).toBe(matchesImageGlob(g, ref));
        compared += 1;
      }),
      { numRuns: 3000 },
    );
    expect(compared).toBeGreaterThan(1000);
  });
});
