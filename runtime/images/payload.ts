/**
 * What a signature says it covers: Cosign's simple-signing payload
 * (`critical.image.docker-manifest-digest`) and in-toto statements (`subject[].digest.sha256`)
 * inside DSSE envelopes of Sigstore bundles. A signature only counts for the digest it names, so a
 * signature copied from another image fails here.
 */
import { digestHex } from './digest';

export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** Predicate type of cosign's new-bundle-format image signature (`cosign sign --new-bundle-format`). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Returns undefined when the payload covers `digest`, else why not. */
export function checkSimpleSigningPayload(payload: Buffer, digest: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'signature payload is not JSON';
  }
  const critical = isRecord(doc) ? doc.critical : undefined;
  if (!isRecord(critical)) return 'signature payload has no "critical" section';
  if (critical.type !== SIMPLE_SIGNING_TYPE) return `signature payload type is ${JSON.stringify(critical.type)}`;
  const image = critical.image;
  const signed = isRecord(image) ? image['docker-manifest-digest'] : undefined;
  if (typeof signed !== 'string') return 'signature payload names no docker-manifest-digest';
  if (signed !== digest) return `signature is for ${signed}, not ${digest}`;
  return undefined;
}

export interface Statement {
  predicateType: string;
  /** `sha256:<hex>` of every subject that names one. */
  subjects: { name: string; digest: string }[];
  predicate: unknown;
}

/** The in-toto statement in a DSSE payload, or why it is not one (signatures and attestations). */
export function parseStatement(payloadType: string, payload: Buffer): Statement | string {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return `DSSE payload type ${payloadType} is not an in-toto statement`;
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'in-toto statement is not JSON';
  }
  if (!isRecord(doc)) return 'in-toto statement is not an object';
  if (typeof doc.predicateType !== 'string') return 'in-toto statement has no predicateType';
  const subjects: Statement['subjects'] = [];
  for (const s of Array.isArray(doc.subject) ? doc.subject : []) {
    const hex = isRecord(s) && isRecord(s.digest) ? s.digest.sha256 : undefined;
    if (typeof hex === 'string') subjects.push({ name: isRecord(s) && typeof s.name === 'string' ? s.name : '', digest: `sha256:${hex}` });
  }
  return { predicateType: doc.predicateType, subjects, predicate: doc.predicate };
}

/** Returns undefined when the in-toto statement covers `digest` with an accepted predicate type. */
export function checkInTotoStatement(
  payloadType: string,
  payload: Buffer,
  digest: string,
  acceptedPredicateTypes: readonly string[],
): string | undefined {
  const st = parseStatement(payloadType, payload);
  if (typeof st === 'string') return st;
  if (!acceptedPredicateTypes.includes(st.predicateType)) {
    return `predicate type ${JSON.stringify(st.predicateType)} is not accepted as an image signature`;
  }
  const subject = `sha256:${digestHex(digest)}`;
  return st.subjects.some((s) => s.digest === subject) ? undefined : `in-toto statement does not name ${digest} as its subject`;
}
