/**
 * Conformance against the upstream generated fixtures (kubernetes/pod-security-admission
 * `test/testdata`, kept in test/conformance/pss-upstream/fixtures.ndjson.gz with its PROVENANCE.md
 * and LICENSE; test/conformance/pack.ts made the archive from the upstream folder): every pass
 * file must yield no violation and every fail file at least one, at that level and version,
 * through the full engine (evaluate → podSecurity family → exemptions/mode). A missing or
 * unreadable archive fails the suite; nothing is skipped.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONTROLLER_TARGETS, POD_TARGET, PSS_CONTROLS } from '../../runtime/bundle';
import { PSS_CHECKS } from '../../runtime/engine/pss/registry';
import { evaluate } from '../../runtime/engine/evaluate';
import { readArchive } from '../conformance/archive';
import { admission, ctx, policy, wrap } from './fixtures';

/** The check a fail file is named for, and the restricted checks that replace it. */
function acceptableControls(file: string): string[] {
  const prefix = file.replace(/\d+\.yaml$/, '');
  const id = PSS_CONTROLS.find((c) => c.toLowerCase() === prefix);
  if (id === undefined) return [];
  return [id, ...PSS_CHECKS.filter((c) => c.overrides?.includes(id)).map((c) => c.id)];
}

/** `<level>/<version>/<pass|fail>/<file>.yaml` → the file's text, exactly as upstream wrote it. */
const FIXTURES = readArchive(path.resolve(__dirname, '../conformance/pss-upstream/fixtures.ndjson.gz'));

function versions(level: string): string[] {
  const found = new Set<string>();
  for (const p of FIXTURES.keys()) {
    const [l, v] = p.split('/');
    if (l === level && /^v1\.\d+$/.test(v)) found.add(v);
  }
  return [...found].sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
}

/** The `.yaml` files directly in `<level>/<version>/<expect>/`, as [file name, content]. */
function files(level: string, version: string, kind: 'pass' | 'fail'): [string, string][] {
  const prefix = `${level}/${version}/${kind}/`;
  return [...FIXTURES]
    .filter(([p]) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/') && p.endsWith('.yaml'))
    .map(([p, content]): [string, string] => [p.slice(prefix.length), content]);
}

describe('upstream Pod Security fixtures', () => {
  it('the archive holds both levels', () => {
    expect(versions('baseline').length).toBeGreaterThan(0);
    expect(versions('restricted').length).toBeGreaterThan(0);
  });

  let total = 0;
  for (const level of ['baseline', 'restricted'] as const) {
    for (const version of versions(level)) {
      it(`${level} ${version}`, async () => {
        const p = policy({
          controllers: ['Deployment'],
          rules: [
            { name: 'pss', type: 'podSecurity', level, version, target: POD_TARGET },
            { name: 'pss-deploy', autogenFrom: 'pss', type: 'podSecurity', level, version, target: CONTROLLER_TARGETS.Deployment },
          ],
        });
        const wrong: string[] = [];
        let count = 0;
        for (const expect of ['pass', 'fail'] as const) {
          for (const [file, content] of files(level, version, expect)) {
            const pod = parse(content) as Record<string, unknown>;
            const d = await evaluate('validate', admission(pod, { namespace: 'apps' }), [p], ctx);
            if (d.errors.length > 0) wrong.push(`${expect}/${file}: error ${d.errors[0].message}`);
            const denied = d.violations.length > 0;
            if (denied !== (expect === 'fail')) {
              wrong.push(`${expect}/${file}: ${denied ? d.violations.map((v) => v.control).join(',') : 'no violation'}`);
            } else if (denied) {
              // failing for the reason the file is named for (or the restricted check replacing it)
              const acceptable = acceptableControls(file);
              if (!d.violations.some((v) => acceptable.includes(v.control))) {
                wrong.push(`${expect}/${file}: failed for ${d.violations.map((v) => v.control).join(',')}, not ${acceptable.join('|')}`);
              }
            }
            // the same pod as a Deployment's template gets the same verdict
            const wrapped = await evaluate('validate', admission(wrap('Deployment', pod)), [p], ctx);
            if (wrapped.violations.length > 0 !== denied) wrong.push(`${expect}/${file}: verdict differs inside a Deployment`);
            count += 1;
          }
        }
        total += count;
        expect(count).toBeGreaterThan(0);
        expect(wrong).toEqual([]);
      });
    }
  }
  it('covered the whole corpus', () => {
    expect(total).toBeGreaterThan(4000);
  });
});
