/**
 * The server with the real image verifier (runtime/images), built per loaded bundle: a registry
 * that is down is an evaluation error under the webhook's failurePolicy (never a verdict), the
 * verifier reports cache lookups to the server's metrics, and a reloaded bundle gets a new verifier.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bundleHash, prettyCanonicalJson, type Bundle } from '../../runtime/bundle';
import { createImageVerifier } from '../../runtime/images';
import type { ServerMetrics } from '../../runtime/server/metrics';
import { COMPLIANT_CONTAINER, PATHS, pod, review, testBundle } from './fixtures';
import { startHarness, waitFor, type Harness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('image verifier wiring', () => {
  it('builds a verifier per loaded bundle and turns a refused registry connection into an evaluation error', async () => {
    const built: Bundle[] = [];
    const imageVerifierFor = (bundle: Bundle, metrics: ServerMetrics) => {
      built.push(bundle);
      return createImageVerifier({ trustedRoots: bundle.trust.trustedRoots, metrics });
    };
    h = await startHarness(testBundle(), { imageVerifierFor });
    expect(built).toHaveLength(1);
    const body = review({ object: pod('web', [{ ...COMPLIANT_CONTAINER, image: '127.0.0.1:1/team/app:1.0' }]) });
    const res = (await h.post(PATHS.imagesFail, body)).json.response;
    expect(res.allowed).toBe(false);
    expect(res.status.code).toBe(500);
    expect(res.status.message).toContain('evaluation error (not a policy verdict)');
    expect(res.status.message).toMatch(/ECONNREFUSED|connect|refused/i);
    const ignored = (await h.post(PATHS.imagesIgnore, body)).json.response;
    expect(ignored.allowed).toBe(true);
    expect(ignored.warnings[0]).toContain('evaluation error');
    // A digest-pinned image goes to the verdict cache first: the miss is counted in our metrics.
    const pinned = review({ object: pod('web', [{ ...COMPLIANT_CONTAINER, image: `127.0.0.1:1/team/app@sha256:${'a'.repeat(64)}` }]) });
    expect((await h.post(PATHS.imagesFail, pinned)).json.response.allowed).toBe(false);
    const metrics = (await h.get('/metrics')).text;
    expect(metrics).toMatch(/portcullis_signature_cache_misses_total [1-9]/);

    const next = testBundle({ name: 'server-test-2' });
    h.bundleVolume.update({ 'bundle.json': prettyCanonicalJson(next) });
    await waitFor('the new bundle', async () => JSON.parse((await h!.get('/readyz')).text).bundle === bundleHash(next));
    expect(built.map((b) => b.metadata.name)).toEqual(['server-test', 'server-test-2']);
  });
});
