/**
 * The admission routes' validator compiler (TypeBox's compiled checker): valid envelopes pass
 * untouched, anything else is Fastify's 400 validation error naming the first offending field.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AdmissionReviewRequestSchema } from '../../runtime/server/admission-review';
import { typeboxValidatorCompiler } from '../../runtime/server/typebox-validator';
import { pod, review, type Json } from './fixtures';

async function post(body: unknown): Promise<{ status: number; json: Json }> {
  const app = Fastify();
  app.setValidatorCompiler(typeboxValidatorCompiler);
  app.post('/', { schema: { body: AdmissionReviewRequestSchema } }, (request) => ({ received: request.body }));
  const r = await app.inject({ method: 'POST', url: '/', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  await app.close();
  return { status: r.statusCode, json: r.json() };
}

describe('typeboxValidatorCompiler', () => {
  it('passes a valid AdmissionReview through unchanged', async () => {
    const body = review({ object: pod('web', [{ name: 'app', image: 'registry.example.com/app:1' }]) });
    expect(await post(body)).toEqual({ status: 200, json: { received: body } });
  });

  const valid = (): Json => review({ object: pod('web', [{ name: 'app', image: 'registry.example.com/app:1' }]) });
  it.each([
    ['no uid', (b: Json) => delete b.request.uid, 'body/request/uid'],
    ['a uid of the wrong type (never coerced)', (b: Json) => (b.request.uid = 12345), 'body/request/uid'],
    ['an empty uid', (b: Json) => (b.request.uid = ''), 'body/request/uid'],
    ['an unknown operation', (b: Json) => (b.request.operation = 'PATCH'), 'body/request/operation'],
    ['a v1beta1 envelope', (b: Json) => (b.apiVersion = 'admission.k8s.io/v1beta1'), 'body/apiVersion'],
    ['an object that is a list', (b: Json) => (b.request.object = []), 'body/request/object'],
    ['a kind without its kind', (b: Json) => delete b.request.kind.kind, 'body/request/kind/kind'],
  ])('refuses %s with a 400 naming the field', async (_name, spoil, field) => {
    const body = valid();
    spoil(body);
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('FST_ERR_VALIDATION');
    expect(r.json.message).toMatch(new RegExp(`^${field} \\S`));
  });
});
