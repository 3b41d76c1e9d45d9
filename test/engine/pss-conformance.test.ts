/**
 * Conformance against the upstream generated fixtures (../shared/testdata/pss-upstream, used in
 * place): every pass file must yield no violation and every fail file at least one, at that level
 * and version, through the full engine (evaluate → podSecurity family → exemptions/mode).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { POD_TARGET } from '../../runtime/bundle';
import { evaluate } from '../../runtime/engine/evaluate';
import { admission, ctx, policy } from './fixtures';

const ROOT = path.resolve(__dirname, '../../../shared/testdata/pss-upstream');

function versions(level: string): string[] {
  return readdirSync(path.join(ROOT, level))
    .filter((v) => /^v1\.\d+$/.test(v))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
}

describe.runIf(existsSync(ROOT))('upstream Pod Security fixtures', () => {
  let total = 0;
  for (const level of ['baseline', 'restricted'] as const) {
    for (const version of versions(level)) {
      it(`${level} ${version}`, async () => {
        const p = policy({
          controllers: [],
          rules: [{ name: 'pss', type: 'podSecurity', level, version, target: POD_TARGET }],
        });
        const wrong: string[] = [];
        let count = 0;
        for (const expect of ['pass', 'fail'] as const) {
          const dir = path.join(ROOT, level, version, expect);
          if (!existsSync(dir)) continue;
          for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
            const pod = parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
            const d = await evaluate('validate', admission(pod, { namespace: 'apps' }), [p], ctx);
            if (d.errors.length > 0) wrong.push(`${expect}/${file}: error ${d.errors[0].message}`);
            const denied = d.violations.length > 0;
            if (denied !== (expect === 'fail')) {
              wrong.push(`${expect}/${file}: ${denied ? d.violations.map((v) => v.control).join(',') : 'no violation'}`);
            }
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
