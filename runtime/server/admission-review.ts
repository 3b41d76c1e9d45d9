/**
 * The AdmissionReview `admission.k8s.io/v1` wire format: the JSON Schema Fastify validates request
 * bodies against, the response types, and the mapping of a validated request to the engine's
 * AdmissionInput. Only v1 is accepted (the synthesized webhooks declare `admissionReviewVersions:
 * [v1]`).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { AdmissionInput } from '../engine/types';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

const GroupVersionKind = Type.Object({ group: Type.String(), version: Type.String(), kind: Type.String({ minLength: 1 }) });
const GroupVersionResource = Type.Object({
  group: Type.String(),
  version: Type.String(),
  resource: Type.String({ minLength: 1 }),
});
const AnyObject = Type.Object({}, { additionalProperties: true });
const ObjectOrNull = Type.Union([AnyObject, Type.Null()]);

export const AdmissionRequestSchema = Type.Object(
  {
    uid: Type.String({ minLength: 1, maxLength: 128 }),
    kind: GroupVersionKind,
    resource: GroupVersionResource,
    subResource: Type.Optional(Type.String()),
    requestKind: Type.Optional(GroupVersionKind),
    requestResource: Type.Optional(GroupVersionResource),
    requestSubResource: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    operation: Type.Union([Type.Literal('CREATE'), Type.Literal('UPDATE'), Type.Literal('DELETE'), Type.Literal('CONNECT')]),
    userInfo: Type.Optional(AnyObject),
    object: Type.Optional(ObjectOrNull),
    oldObject: Type.Optional(ObjectOrNull),
    dryRun: Type.Optional(Type.Boolean()),
    options: Type.Optional(ObjectOrNull),
  },
  { additionalProperties: true },
);

/** The body schema of every admission route (Fastify validates it before the handler runs). */
export const AdmissionReviewRequestSchema = Type.Object(
  {
    apiVersion: Type.Literal(ADMISSION_API_VERSION),
    kind: Type.Literal(ADMISSION_KIND),
    request: AdmissionRequestSchema,
  },
  { additionalProperties: true },
);

export type AdmissionRequest = Static<typeof AdmissionRequestSchema>;
export type AdmissionReviewRequest = Static<typeof AdmissionReviewRequestSchema>;

export interface AdmissionStatus {
  code: number;
  reason: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  /** base64 of an RFC 6902 JSON Patch. */
  patch?: string;
  patchType?: 'JSONPatch';
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: AdmissionResponse;
}

/** Response schema: lets Fastify serialize the hot-path answer with a compiled serializer. */
export const AdmissionReviewResponseSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'response'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    response: {
      type: 'object',
      required: ['uid', 'allowed'],
      properties: {
        uid: { type: 'string' },
        allowed: { type: 'boolean' },
        status: {
          type: 'object',
          properties: { code: { type: 'integer' }, reason: { type: 'string' }, message: { type: 'string' } },
        },
        warnings: { type: 'array', items: { type: 'string' } },
        auditAnnotations: { type: 'object', additionalProperties: { type: 'string' } },
        patch: { type: 'string' },
        patchType: { type: 'string' },
      },
    },
  },
} as const;

export function reviewResponse(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

/** The engine's view of a (schema-validated) request. */
export function toAdmissionInput(request: AdmissionRequest): AdmissionInput {
  const input: AdmissionInput = {
    uid: request.uid,
    kind: request.kind,
    resource: request.resource,
    operation: request.operation,
    object: request.object ?? undefined,
  };
  if (request.subResource !== undefined && request.subResource !== '') input.subResource = request.subResource;
  if (request.namespace !== undefined && request.namespace !== '') input.namespace = request.namespace;
  if (request.name !== undefined && request.name !== '') input.name = request.name;
  if (request.oldObject !== undefined && request.oldObject !== null) input.oldObject = request.oldObject;
  if (request.dryRun !== undefined) input.dryRun = request.dryRun;
  return input;
}
