/**
 * The admission routes' JSON parser: the fast path for bodies that cannot hold a poisoning key, and
 * Fastify's secure parser (400) for every body that can.
 */
import Fastify from 'fastify';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonBodyParser, mentionsConstructor } from '../../runtime/server/json-body';

async function parses(payload: string): Promise<{ status: number; body: unknown }> {
  const app = Fastify();
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser(app));
  app.post('/', (request) => ({ parsed: request.body }));
  const r = await app.inject({ method: 'POST', url: '/', payload, headers: { 'content-type': 'application/json' } });
  await app.close();
  return { status: r.statusCode, body: r.json() };
}

describe('jsonBodyParser', () => {
  it('parses ordinary bodies, a controller selector included', async () => {
    const body = { spec: { selector: { matchLabels: { app: 'web' } } }, note: 'constructs' };
    expect(await parses(JSON.stringify(body))).toEqual({ status: 200, body: { parsed: body } });
  });

  it.each([
    ['a __proto__ key', '{"a":{"__proto__":{"polluted":true}}}'],
    ['a constructor.prototype key', '{"a":{"constructor":{"prototype":{"polluted":true}}}}'],
    ['a constructor key spelled with \\u escapes', '{"a":{"\\u0063onstructor":{"prototype":{"polluted":true}}}}'],
  ])('refuses %s with 400', async (_name, payload) => {
    expect((await parses(payload)).status).toBe(400);
  });

  it('mentionsConstructor(s) is s.includes("constructor"), for any text', () => {
    const pieces = fc.constantFrom('constructor', 'construct', 'ctor', 'selector', 'constr', 'uctor', 'c', 'on', 'x', '"', ':');
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 4 })), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        expect(mentionsConstructor(text)).toBe(text.includes('constructor'));
      }),
      { numRuns: 2000 },
    );
  });
});
