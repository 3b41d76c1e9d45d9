/**
 * The admission plugin: answers POSTed AdmissionReviews on every path of the current bundle's
 * webhook entries. The path is looked up in the snapshot the request started with (so a hot reload
 * that adds, removes or changes entries applies without restarting the listener). Holds no policy
 * logic: decode, pick the entry's policies, call the engine, encode.
 */
import type { Target, Webhook } from '../bundle';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { evaluateNow } from '../engine/evaluate';
import type { Decision, ImageVerifier, EvaluationContext, Violation } from '../engine/types';
import {
  ADMISSION_API_VERSION,
  reviewResponse,
  toAdmissionInput,
  AdmissionReviewRequestSchema,
  AdmissionReviewResponseSchema,
  type AdmissionRequest,
  type AdmissionReviewRequest,
  type AdmissionReviewResponse,
} from './admission-review';
import { encodeDecision, engineFailure, unevaluatedResponse } from './admission-response';
import { exemptionKeys } from './exemption-text';
import { webhookServes, type BundleStore, type WebhookBinding } from './bundle-state';
import type { ServerMetrics } from './metrics';
import type { BodyBudget } from './body-budget';
import { jsonBodyParser } from './json-body';
import type { AdmissionLogRecord } from './logging';
import { objectShapeProblem, targetForKind } from './object-shape';
import { TurnBatch } from './turn-batch';

export interface AdmissionRoutesOptions {
  store: BundleStore;
  metrics: ServerMetrics;
  images?: ImageVerifier;
  now?: () => Date;
  /** Writes the one structured line per answered review (see logging.ts). */
  logAdmission: (record: AdmissionLogRecord) => void;
  /** Bounds the large bodies held at once (see body-budget.ts). */
  bodyBudget: BodyBudget;
}

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

function clientError(reply: FastifyReply, statusCode: number, message: string): ErrorBody {
  const error = statusCode === 404 ? 'Not Found' : statusCode === 413 ? 'Payload Too Large' : statusCode === 503 ? 'Service Unavailable' : 'Bad Request';
  void reply.code(statusCode);
  return { statusCode, error, message };
}

/** Fastify's parser and schema errors, reworded for someone debugging a webhook call. */
function describeFrameworkError(err: FastifyError): { status: number; reason: string; message: string } {
  switch (err.code) {
    case 'FST_ERR_VALIDATION':
      return { status: 400, reason: 'schema', message: `not a valid AdmissionReview ${ADMISSION_API_VERSION}: ${err.message}` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 400, reason: 'content_type', message: 'wrong content type: an AdmissionReview must be sent as application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, reason: 'empty', message: 'empty body: expected an AdmissionReview JSON document' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, reason: 'json', message: `body is not valid JSON: ${err.message}` };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, reason: 'too_large', message: err.message };
    default:
      if (err instanceof SyntaxError || err.statusCode === 400) return { status: 400, reason: 'json', message: `malformed request: ${err.message}` };
      return { status: 500, reason: 'internal', message: 'internal error while reading the request' };
  }
}

/** `policy/rule:control` per violation or warning, for the log line; undefined when there are none. */
function ruleKeys(list: readonly Violation[] | undefined): string[] | undefined {
  return list === undefined || list.length === 0 ? undefined : list.map((v) => `${v.policy}/${v.rule}:${v.control}`);
}

function requestPath(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export const admissionRoutes: FastifyPluginAsync<AdmissionRoutesOptions> = (app: FastifyInstance, opts) => {
  const { store, metrics, images, logAdmission, bodyBudget } = opts;
  const now = opts.now ?? (() => new Date());

  // The API server always sends application/json; every other type (text/plain included, which
  // Fastify parses by default) is refused as the wrong content type.
  app.removeContentTypeParser('text/plain');
  // Fastify's secure JSON parser, with a fast path for bodies that cannot hold a poisoning key.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser(app));

  // Large bodies wait for room in the body budget before they are read (an ordinary review is far
  // below the threshold and only pays for reading its Content-Length).
  const bodyLimit = app.initialConfig.bodyLimit ?? Number.POSITIVE_INFINITY;
  app.addHook('preParsing', (request, reply, payload, done) => {
    const header = request.headers['content-length'];
    const declared = header === undefined ? bodyLimit : Number(header);
    // A body declared above the limit is refused (413) as soon as parsing starts: it never waits.
    if (!bodyBudget.isLarge(declared) || declared > bodyLimit) {
      done(null, payload);
      return;
    }
    const ticket = bodyBudget.acquire(declared);
    // Released when the answer is sent or the connection closes (also while still waiting).
    reply.raw.once('close', ticket.release);
    if (!ticket.granted) {
      metrics.bodyBudgetWait();
      request.log.debug({ declared, held: bodyBudget.heldBytes, waiting: bodyBudget.waiting }, 'large body waits for the body budget');
    }
    ticket.whenGranted(() => done(null, payload));
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, reason, message } = describeFrameworkError(err);
    metrics.invalidRequest(reason);
    if (status >= 500) request.log.error({ err, url: request.url }, 'admission request failed');
    else request.log.warn({ url: request.url, reason, detail: message }, 'malformed admission request refused');
    return reply.code(status).send({ statusCode: status, error: status === 413 ? 'Payload Too Large' : status >= 500 ? 'Internal Server Error' : 'Bad Request', message });
  });

  /** Encode, count and log an answered review (evaluated when `decision` is given). */
  const answer = (review: AdmissionRequest, webhook: Webhook, target: Target | undefined, started: number, decision?: Decision): AdmissionReviewResponse => {
    const encoded = decision === undefined ? unevaluatedResponse(review.uid) : encodeDecision(review.uid, webhook, decision, now);
    const seconds = (performance.now() - started) / 1000;
    // The kind label is bounded to the kinds Portcullis knows: a caller cannot mint label values.
    const kindLabel = target === undefined ? 'other' : review.kind.kind;
    metrics.request(webhook.path, review.operation, kindLabel, encoded.outcome, seconds);
    if (decision !== undefined && review.dryRun !== true) {
      metrics.results(decision.results);
      if (decision.exemptions !== undefined) metrics.exemptionsApplied(decision.exemptions);
    }
    logAdmission({
      uid: review.uid,
      webhook: webhook.path,
      operation: review.operation,
      kind: review.kind.kind,
      subResource: review.subResource,
      namespace: review.namespace,
      name: review.name,
      dryRun: review.dryRun === true,
      decision: encoded.outcome,
      patched: encoded.patched,
      violations: ruleKeys(decision?.violations),
      warnings: ruleKeys(decision?.warnings),
      exemptions: decision?.exemptions === undefined ? undefined : exemptionKeys(decision.exemptions),
      errors: decision === undefined || decision.errors.length === 0 ? undefined : decision.errors.map((e) => `${e.policy}/${e.rule}: ${e.message}`),
      durationMs: Math.round(seconds * 100_000) / 100,
    });
    return reviewResponse(encoded.response);
  };

  // Reviews to evaluate wait for the rest of their event-loop turn and are evaluated together
  // (turn-batch.ts); everything answered without the engine is answered at once.
  const batch = new TurnBatch((size) => metrics.batch(size));
  const handler = (
    request: FastifyRequest<{ Body: AdmissionReviewRequest }>,
    reply: FastifyReply,
  ): AdmissionReviewResponse | ErrorBody | Promise<AdmissionReviewResponse> => {
    const started = performance.now();
    const snapshot = store.current();
    const path = requestPath(request.url);
    if (snapshot === undefined) {
      metrics.invalidRequest('not_ready');
      return clientError(reply, 503, 'no valid rule bundle is loaded; the runtime is not ready');
    }
    const binding = snapshot.bindings.get(path);
    if (binding === undefined) {
      metrics.invalidRequest('unknown_path');
      request.log.warn({ path }, 'admission request for a path no webhook entry serves');
      return clientError(reply, 404, `no webhook entry of bundle ${snapshot.loaded.hash} serves ${path}`);
    }
    const review = request.body.request;
    const { webhook } = binding;
    // The pod-template location of the request's kind (undefined: a kind Portcullis does not know),
    // looked up once for the shape check and the metrics label.
    const target = targetForKind(review.kind.group, review.kind.kind);
    if (review.operation === 'DELETE' || review.operation === 'CONNECT' || !webhookServes(webhook, review)) {
      return answer(review, webhook, target, started);
    }
    const problem =
      objectShapeProblem(review, review.object, 'object', target) ??
      (review.operation === 'UPDATE' && review.oldObject !== undefined && review.oldObject !== null
        ? objectShapeProblem(review, review.oldObject, 'oldObject', target)
        : undefined);
    if (problem !== undefined) {
      metrics.invalidRequest('object_shape');
      request.log.warn({ uid: review.uid, webhook: webhook.path, kind: review.kind.kind, reason: problem }, 'malformed admission request refused');
      return clientError(reply, 400, `malformed AdmissionReview: ${problem}`);
    }
    return batch.run(() => {
      const decision = evaluateSafely(binding, review, snapshot.images ?? images, now);
      return decision instanceof Promise ? decision.then((d) => answer(review, webhook, target, started, d)) : answer(review, webhook, target, started, decision);
    });
  };

  app.post('/*', {
    schema: { body: AdmissionReviewRequestSchema, response: { 200: AdmissionReviewResponseSchema } },
    handler,
  });
  return Promise.resolve();
};

/** The engine's decision; an engine failure (thrown or rejected) becomes evaluation errors. */
function evaluateSafely(
  binding: WebhookBinding,
  review: AdmissionRequest,
  images: ImageVerifier | undefined,
  now: () => Date,
): Decision | Promise<Decision> {
  const context: EvaluationContext = { now: now(), excludedNamespaces: binding.excludedNamespaces };
  if (binding.podDefaults !== undefined) context.podDefaults = binding.podDefaults;
  if (images !== undefined) context.images = images;
  if (binding.needsImages) {
    // Answer (under the failurePolicy) before the API server gives up on the call.
    context.signal = AbortSignal.timeout(Math.max(binding.webhook.timeoutSeconds * 1000 - 500, 500));
  }
  const phase = binding.webhook.type === 'mutating' ? 'mutate' : 'validate';
  try {
    const policies = (review.namespace !== undefined ? binding.policiesIn?.get(review.namespace) : undefined) ?? binding.policies;
    const decision = evaluateNow(phase, toAdmissionInput(review), policies, context);
    return decision instanceof Promise ? decision.catch((err: unknown) => engineFailed(binding, err)) : decision;
  } catch (err) {
    return engineFailed(binding, err);
  }
}

/** The decision when the engine itself failed: an evaluation error per policy, no verdict. */
function engineFailed(binding: WebhookBinding, err: unknown): Decision {
  return { allowed: true, violations: [], warnings: [], patches: [], errors: engineFailure(binding.policyNames, err), results: [] };
}
