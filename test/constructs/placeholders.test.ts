/** placeholder() / RequireFilled: synth refuses unfilled values, naming the line of each placeholder() call. */
import { describe, expect, it } from 'vitest';
import { collectProblems, isFilled, isPlaceholder, placeholder, PodSecurity, Policy, RequireFilled, unfilledPlaceholders } from '../../constructs';
import { newApp, synthError } from './helpers';

const HERE = 'test/constructs/placeholders.test.ts';
const config = {
  name: 'acme',
  registry: placeholder('your registry host'), // line 9
  signing: { keys: ['filled', placeholder('a PEM public key')] }, // line 10
};

describe('placeholders', () => {
  it('are recognisable strings, found with their path and the line that wrote them', () => {
    expect(config.registry).toBe('REPLACE-ME: your registry host');
    expect(isPlaceholder(config.registry)).toBe(true);
    expect(isPlaceholder('registry.acme.example')).toBe(false);
    expect(unfilledPlaceholders(config)).toEqual([
      { path: 'registry', value: 'REPLACE-ME: your registry host', location: { file: HERE, line: 9 } },
      { path: 'signing.keys[1]', value: 'REPLACE-ME: a PEM public key', location: { file: HERE, line: 10 } },
    ]);
    expect(unfilledPlaceholders({ typedByHand: 'REPLACE-ME: x' })).toEqual([{ path: 'typedByHand', value: 'REPLACE-ME: x', location: undefined }]);
    expect(isFilled(config.name, { a: ['b'] })).toBe(true);
    expect(isFilled(config.name, config.signing)).toBe(false);
  });

  it('make synth fail with one problem per placeholder, naming file and line', () => {
    const app = newApp();
    new RequireFilled(app, 'config', config);
    new PodSecurity(new Policy(app, 'pod-security'), 'restricted');
    expect(collectProblems(app)).toEqual([
      { path: 'config/registry', location: `${HERE}:9`, message: `registry is still a placeholder (your registry host). Fix: replace placeholder(…) at ${HERE}:9 with your value.` },
      {
        path: 'config/signing.keys[1]',
        location: `${HERE}:10`,
        message: `signing.keys[1] is still a placeholder (a PEM public key). Fix: replace placeholder(…) at ${HERE}:10 with your value.`,
      },
    ]);
    expect(synthError(() => app.synth()).message).toContain(`[config/registry] (${HERE}:9) registry is still a placeholder`);
  });

  it('let synth pass once every value is filled in', () => {
    const app = newApp();
    new RequireFilled(app, 'config', { ...config, registry: 'registry.acme.example', signing: { keys: ['filled'] } });
    new PodSecurity(new Policy(app, 'pod-security'), 'restricted');
    expect(collectProblems(app)).toEqual([]);
  });
});
