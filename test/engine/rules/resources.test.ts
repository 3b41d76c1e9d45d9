import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DefaultResourcesRule, RequireResourcesRule } from '../../../runtime/bundle';
import { defaultResources } from '../../../runtime/engine/rules/default-resources';
import { requireResources } from '../../../runtime/engine/rules/require-resources';
import { compareQuantities, parseQuantity, type Quantity } from '../../../runtime/engine/quantity';
import { applied, cronJob, deployment, mutate, mutateToFixpoint, pod, POD_TARGET, targetFor, validate } from './helpers';

const defaults: DefaultResourcesRule = {
  name: 'defaults',
  type: 'defaultResources',
  target: POD_TARGET,
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '512Mi' },
};
const required: RequireResourcesRule = {
  name: 'limits',
  type: 'requireResources',
  target: POD_TARGET,
  limits: ['cpu', 'memory'],
  requests: [],
};

function c(name: string, resources?: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, image: 'ghcr.io/org/app:v1', ...(resources === undefined ? {} : { resources }), ...extra };
}

describe('defaultResources', () => {
  it('adds all four values to a container without resources, in containers and initContainers', async () => {
    const p = pod({ initContainers: [c('init')], containers: [c('app'), c('side')] });
    const { ops, result, second } = await mutateToFixpoint(defaultResources, defaults, p);
    expect(ops.every((o) => o.op === 'add')).toBe(true);
    for (const ctr of [...result.spec.initContainers, ...result.spec.containers]) {
      expect(ctr.resources).toEqual({ limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    }
    expect(second).toEqual([]);
  });

  it('never overwrites a value the author set, and fills only the gaps', async () => {
    const p = pod({ containers: [c('app', { limits: { memory: '256Mi' }, requests: { cpu: '50m' } })] });
    const { result, second } = await mutateToFixpoint(defaultResources, defaults, p);
    expect(result.spec.containers[0].resources).toEqual({
      limits: { memory: '256Mi', cpu: '500m' },
      requests: { cpu: '50m', memory: '128Mi' },
    });
    expect(second).toEqual([]);
  });

  it('never produces a request above the limit: only a 50m cpu limit → request 50m', async () => {
    const p = pod({ containers: [c('app', { limits: { cpu: '50m' } })] });
    const { result } = await mutateToFixpoint(defaultResources, defaults, p);
    expect(result.spec.containers[0].resources.requests.cpu).toBe('50m');
    expect(result.spec.containers[0].resources.limits.cpu).toBe('50m');
    // memory is untouched by the cpu clamp
    expect(result.spec.containers[0].resources.requests.memory).toBe('128Mi');
    // and the result passes requireResources with request <= limit
    expect(await validate(requireResources, { ...required, requests: ['cpu', 'memory'] }, result)).toEqual([]);
  });

  it('clamps against limits written in other units (0.05 cpu, 100Mi memory)', async () => {
    const p = pod({ containers: [c('app', { limits: { cpu: '0.05', memory: '100Mi' } })] });
    const { result } = await mutateToFixpoint(defaultResources, defaults, p);
    expect(result.spec.containers[0].resources.requests).toEqual({ cpu: '0.05', memory: '100Mi' });
  });

  it('a request above the default limit raises the defaulted limit to the request', async () => {
    const p = pod({ containers: [c('app', { requests: { cpu: '2', memory: '1Gi' } })] });
    const { result, second } = await mutateToFixpoint(defaultResources, defaults, p);
    expect(result.spec.containers[0].resources.limits).toEqual({ cpu: '2', memory: '1Gi' });
    expect(second).toEqual([]);
    expect(await validate(requireResources, required, result)).toEqual([]);
  });

  it('a request below the default limit keeps the default limit', async () => {
    const p = pod({ containers: [c('app', { requests: { cpu: '200m' } })] });
    const { result } = await mutateToFixpoint(defaultResources, defaults, p);
    expect(result.spec.containers[0].resources.limits.cpu).toBe('500m');
  });

  it('does not fill an explicit limits: {} or null, so requireResources still catches it', async () => {
    for (const limits of [{}, null]) {
      const p = pod({ containers: [c('app', { limits })] });
      const { result, second } = await mutateToFixpoint(defaultResources, defaults, p);
      expect(result.spec.containers[0].resources.limits).toEqual(limits);
      expect(result.spec.containers[0].resources.requests).toEqual({ cpu: '100m', memory: '128Mi' });
      expect(second).toEqual([]);
      const findings = await validate(requireResources, required, result);
      expect(findings).toHaveLength(1);
      expect(findings[0].message).toContain(`explicitly ${limits === null ? 'null' : 'empty'}`);
      expect(findings[0].values).toEqual(['cpu', 'memory']);
    }
  });

  it('treats resources: {} and resources: null as absent', async () => {
    for (const resources of [{}, null]) {
      const { result } = await mutateToFixpoint(defaultResources, defaults, pod({ containers: [c('app', resources)] }));
      expect(result.spec.containers[0].resources.limits).toEqual({ cpu: '500m', memory: '512Mi' });
    }
  });

  it('leaves a malformed value alone and does not default what would be compared with it', async () => {
    const p = pod({ containers: [c('app', { limits: { cpu: 'lots' } })] });
    const { result } = await mutateToFixpoint(defaultResources, defaults, p);
    expect(result.spec.containers[0].resources.limits.cpu).toBe('lots');
    expect(result.spec.containers[0].resources.requests.cpu).toBeUndefined();
    expect(result.spec.containers[0].resources.requests.memory).toBe('128Mi');
    const findings = await validate(requireResources, required, result);
    expect(findings.map((f) => f.field)).toEqual(['spec.containers[0].resources.limits.cpu']);
    expect(findings[0].message).toContain('is not a valid quantity');
  });

  it('skips ephemeral containers (the API server forbids resources on them)', async () => {
    const p = pod({ containers: [c('app', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } })], ephemeralContainers: [c('debugger')] });
    const ops = await mutate(defaultResources, defaults, p);
    expect(ops).toEqual([]);
    expect(await validate(requireResources, required, p)).toEqual([]);
  });

  it('only defaults the resources the rule names', async () => {
    const rule: DefaultResourcesRule = { ...defaults, requests: { memory: '64Mi' }, limits: {} };
    const { result } = await mutateToFixpoint(defaultResources, rule, pod({ containers: [c('app')] }));
    expect(result.spec.containers[0].resources).toEqual({ requests: { memory: '64Mi' } });
  });

  it('patches controllers in their pod template', async () => {
    for (const [kind, obj] of [
      ['Deployment', deployment({ containers: [c('app')] })],
      ['CronJob', cronJob({ containers: [c('app')] })],
    ] as const) {
      const rule = { ...defaults, target: targetFor(kind) };
      const { ops, result, second } = await mutateToFixpoint(defaultResources, rule, obj);
      const tpl = kind === 'CronJob' ? result.spec.jobTemplate.spec.template.spec : result.spec.template.spec;
      expect(tpl.containers[0].resources.limits.cpu).toBe('500m');
      expect(ops[0].path.startsWith(kind === 'CronJob' ? '/spec/jobTemplate/spec/template/spec/containers/0' : '/spec/template/spec/containers/0')).toBe(true);
      expect(second).toEqual([]);
    }
  });

  it('handles unicode names and __proto__ keys without touching prototypes', async () => {
    const p = JSON.parse(
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"ü"},"spec":{"containers":[{"name":"кон/тейнер~1","image":"x","resources":{"__proto__":{"cpu":"9"},"limits":{"__proto__":{"cpu":"1"}}}}]}}',
    );
    const { result, second } = await mutateToFixpoint(defaultResources, defaults, p);
    expect(result.spec.containers[0].resources.limits.cpu).toBe('500m');
    expect(Object.prototype.hasOwnProperty.call(result.spec.containers[0].resources.limits, 'cpu')).toBe(true);
    expect(({} as Record<string, unknown>).cpu).toBeUndefined();
    expect(second).toEqual([]);
  });

  it('defaults Pods at CREATE only (a Pod spec is immutable), controller templates on UPDATE too', async () => {
    const bare = pod({ containers: [c('app')] });
    expect(await mutate(defaultResources, defaults, bare, 'UPDATE')).toEqual([]);
    const d = deployment({ containers: [c('app')] });
    expect(await mutate(defaultResources, { ...defaults, target: targetFor('Deployment') }, d, 'UPDATE')).toHaveLength(1);
  });

  it('fails loudly on a malformed default in the rule (a bundle bug, not a verdict)', async () => {
    await expect(mutate(defaultResources, { ...defaults, limits: { cpu: 'many' } }, pod({ containers: [c('a')] }))).rejects.toThrow(/not a valid quantity/);
  });
});

describe('requireResources', () => {
  it('passes a container with valid limits', async () => {
    expect(await validate(requireResources, required, pod({ containers: [c('a', { limits: { cpu: '1', memory: '1Gi' } })] }))).toEqual([]);
  });

  it('reports each container and init container without limits, with field and missing names', async () => {
    const p = pod({ initContainers: [c('init')], containers: [c('app', { limits: { cpu: '1' } })] });
    const findings = await validate(requireResources, required, p);
    expect(findings.map((f) => [f.field, f.values, f.container?.name])).toEqual([
      ['spec.initContainers[0].resources.limits', ['cpu', 'memory'], 'init'],
      ['spec.containers[0].resources.limits', ['memory'], 'app'],
    ]);
    expect(findings[1].message).toBe('container "app" has no memory limit: resources.limits.memory is required');
    expect(findings.every((f) => f.control === 'requireResources')).toBe(true);
  });

  it('requires requests when the rule says so', async () => {
    const rule = { ...required, requests: ['memory' as const] };
    const findings = await validate(requireResources, rule, pod({ containers: [c('a', { limits: { cpu: '1', memory: '1Gi' } })] }));
    expect(findings.map((f) => f.field)).toEqual(['spec.containers[0].resources.requests']);
  });

  it('catches limits: null for a single resource and a non-map limits', async () => {
    let findings = await validate(requireResources, required, pod({ containers: [c('a', { limits: { cpu: null, memory: '1Gi' } })] }));
    expect(findings.map((f) => f.values)).toEqual([['cpu']]);
    findings = await validate(requireResources, required, pod({ containers: [c('a', { limits: 'lots' })] }));
    expect(findings.map((f) => f.message)).toEqual([
      'container "a" resources.limits=lots is not allowed: it must be a map of resource quantities',
      'container "a" has no cpu and memory limit: resources.limits.cpu/memory is required',
    ]);
  });

  it.each([
    ['1.5.5'],
    ['100 m'],
    ['1GB'],
    ['1e1000'],
    ['ten'],
    [''],
    [true],
    [{ value: 1 }],
  ])('malformed quantity %j is a finding, never an exception', async (bad) => {
    const findings = await validate(requireResources, required, pod({ containers: [c('a', { limits: { cpu: bad, memory: '1Gi' } })] }));
    expect(findings).toHaveLength(1);
    expect(findings[0].field).toBe('spec.containers[0].resources.limits.cpu');
    expect(findings[0].message).toMatch(/^container "a" resources\.limits\.cpu=.* is not a valid quantity \(.+\)$/);
  });

  it('rejects negative quantities and request > limit (exact comparison)', async () => {
    const findings = await validate(
      requireResources,
      required,
      pod({ containers: [c('a', { limits: { cpu: '-1', memory: '1Gi' }, requests: { memory: '1073741825' } })] }),
    );
    expect(findings.map((f) => f.field)).toEqual([
      'spec.containers[0].resources.limits.cpu',
      'spec.containers[0].resources.requests.memory',
    ]);
    expect(findings[1].message).toContain('exceeds the limit 1Gi');
  });

  it('enforces ceilings with exact comparison across units', async () => {
    const rule: RequireResourcesRule = { ...required, maxLimits: { cpu: '2', memory: '4Gi' } };
    const ok = pod({ containers: [c('a', { limits: { cpu: '2000m', memory: '4096Mi' } })] });
    expect(await validate(requireResources, rule, ok)).toEqual([]);
    const over = pod({ containers: [c('a', { limits: { cpu: '2001m', memory: '4294967297' } })] });
    const findings = await validate(requireResources, rule, over);
    expect(findings.map((f) => [f.field, f.values, f.allowed])).toEqual([
      ['spec.containers[0].resources.limits.cpu', ['2001m'], '<= 2'],
      ['spec.containers[0].resources.limits.memory', ['4294967297'], '<= 4Gi'],
    ]);
  });

  it('checks pod templates of controllers', async () => {
    const findings = await validate(requireResources, { ...required, target: targetFor('Deployment') }, deployment({ containers: [c('web')] }));
    expect(findings.map((f) => f.field)).toEqual(['spec.template.spec.containers[0].resources.limits']);
  });
});

describe('defaultResources then requireResources (the API server order)', () => {
  it('a pod without limits passes after defaulting; an explicit bad value is still denied', async () => {
    const bare = pod({ containers: [c('app')] });
    expect(await validate(requireResources, required, bare)).toHaveLength(1);
    const mutated = applied(bare, await mutate(defaultResources, defaults, bare));
    expect(await validate(requireResources, required, mutated)).toEqual([]);

    const bad = pod({ containers: [c('app', { limits: { cpu: '4', memory: 'huge' } })] });
    const mutatedBad = applied(bad, await mutate(defaultResources, defaults, bad));
    const findings = await validate(requireResources, { ...required, maxLimits: { cpu: '2' } }, mutatedBad);
    expect(findings.map((f) => f.field)).toEqual(['spec.containers[0].resources.limits.memory', 'spec.containers[0].resources.limits.cpu']);
  });
});

describe('defaultResources: properties over random containers', () => {
  const quantity = fc.oneof(
    fc.constantFrom('50m', '100m', '0.1', '0.5', '1', '2', '64Mi', '128Mi', '256M', '1Gi', '1e3', '512Mi', '0'),
    fc.constantFrom('bad', '', '1 Gi', '-1'),
  );
  const pair = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.constant({}),
    fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
  );
  const resources = fc.oneof(fc.constant(undefined), fc.constant(null), fc.record({ limits: pair, requests: pair }, { requiredKeys: [] }));
  const rulePair = fc.record({ cpu: fc.constantFrom('50m', '100m', '500m', '2'), memory: fc.constantFrom('64Mi', '128Mi', '1Gi') }, { requiredKeys: [] });

  function q(v: unknown): Quantity | undefined {
    const r = parseQuantity(v);
    return r.ok ? r.quantity : undefined;
  }

  it('adds only absent values, never a request above a limit, and is idempotent', async () => {
    await fc.assert(
      fc.asyncProperty(resources, rulePair, rulePair, async (res, requests, limits) => {
        const rule: DefaultResourcesRule = { ...defaults, requests, limits };
        const object = pod({ containers: [c('app', res)] });
        const { result, second } = await mutateToFixpoint(defaultResources, rule, object);
        expect(second).toEqual([]);
        const before = (res ?? {}) as Record<string, Record<string, unknown> | null | undefined>;
        const after = result.spec.containers[0].resources ?? {};
        for (const key of ['limits', 'requests'] as const) {
          const b = before[key];
          if (b === null || (b !== undefined && Object.keys(b).length === 0)) expect(after[key]).toEqual(b); // explicit choice kept
          for (const r of ['cpu', 'memory'] as const) {
            if (b?.[r] !== undefined) expect(after[key][r]).toBe(b[r]); // never overwritten
          }
        }
        for (const r of ['cpu', 'memory'] as const) {
          const lim = q(after.limits?.[r]);
          const req = q(after.requests?.[r]);
          const wasSet = (before.requests?.[r] ?? undefined) !== undefined && (before.limits?.[r] ?? undefined) !== undefined;
          if (lim && req && !wasSet) expect(compareQuantities(req, lim)).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
