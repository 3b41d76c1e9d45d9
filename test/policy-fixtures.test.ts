/**
 * Every policy fixture (policies/fixtures/*.yaml, PolicyTest documents) against the synthesized
 * reference bundle (dist/portcullis-bundle.json), with the runtime's own engine. A failing
 * expectation names the fixture, resource, policy/rule, expected and actual result.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundleFile } from '../runtime/cli/bundle-source';
import { readFixtureFile, renderFixtureChecks, runFixture } from '../runtime/cli/fixtures';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, 'policies/fixtures');
const BUNDLE = path.join(ROOT, 'dist/portcullis-bundle.json');

const files = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => path.join(FIXTURES, f))
  : [];

describe('policy fixtures', () => {
  it('exist, and the synthesized bundle exists (run `npm run synth`)', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(existsSync(BUNDLE)).toBe(true);
  });

  for (const file of files) {
    for (const fixture of readFixtureFile(file)) {
      it(`${path.relative(ROOT, file)}: ${fixture.name}`, async () => {
        const { bundle } = loadBundleFile(BUNDLE);
        const checks = await runFixture(fixture, bundle);
        expect(checks.length).toBeGreaterThan(0);
        const failed = checks.filter((c) => !c.ok);
        expect(failed, renderFixtureChecks(failed)).toEqual([]);
      });
    }
  }
});
