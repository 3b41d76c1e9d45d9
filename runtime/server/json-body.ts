/**
 * The JSON body parser of the admission routes: Fastify's own secure parser (prototype-poisoning
 * protection: a `__proto__` key, or a `constructor` key with a `prototype`, is refused with 400),
 * behind a fast path for the bodies that cannot trigger it. Fastify's parser runs JSON.parse and
 * then two regular-expression scans of the text for `"__proto__":` and `"constructor":` (letters
 * possibly written as `\u` escapes). A body that contains neither word and no `\u` escape at all
 * cannot match either scan, so it is parsed with JSON.parse alone; every other body (and every body
 * JSON.parse refuses, so errors stay Fastify's own) goes to Fastify's parser unchanged.
 */
import type { FastifyBodyParser, FastifyInstance } from 'fastify';

export function jsonBodyParser(app: FastifyInstance): FastifyBodyParser<string> {
  const secure = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (
      body.length !== 0 &&
      body.charCodeAt(0) !== 0xfeff &&
      !body.includes('\\u') &&
      !body.includes('__proto__') &&
      !(body.includes('ctor') && body.includes('constructor'))
    ) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        void secure(request, body, done);
        return;
      }
      done(null, parsed);
      return;
    }
    void secure(request, body, done);
  };
}
