/**
 * The runtime's logger: pino (handed to Fastify as its logger instance), plus the one structured
 * info line per admission written by a fixed-shape serializer to the same destination.
 *
 * Why the admission line bypasses pino's generic serializer: it is written once per request, and
 * pino's per-key walk (and the per-request child logger Fastify would otherwise create for a
 * `reqId` binding) cost more than the rule evaluation of a typical Pod. The line has exactly pino's
 * shape — `{"level":30,"time":<epoch ms>,"pid":…,"hostname":…,<fields>,"msg":"admission"}` — so log
 * pipelines see one format; it is written only when `info` is enabled, like `log.info` would be.
 * Request-scoped lines carry the AdmissionReview `uid` instead of a per-request `reqId`.
 *
 * The admission lines of one event-loop turn go to the destination in one write, at the end of
 * the turn (setImmediate): under load that is one write (one syscall on stdout) for all the reviews
 * answered in the turn rather than one per review. Lines queued in a check phase (a batch of
 * evaluated reviews, turn-batch.ts) are written at the start of the next one. `flush()` writes them
 * at once (shutdown); a crash can lose at most the lines of the last turn or two.
 */
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import pino, { type DestinationStream } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where JSON log lines go (default stdout, written synchronously as pino does by default). */
  stream?: DestinationStream;
}

/** What one admission log line says. No object bodies, tokens or keys: names and verdicts only. */
export interface AdmissionLogRecord {
  uid: string;
  webhook: string;
  operation: string;
  kind: string;
  subResource?: string | undefined;
  namespace?: string | undefined;
  name?: string | undefined;
  dryRun: boolean;
  decision: string;
  patched: boolean;
  /** `policy/rule:control` of each Enforce violation (absent when none). */
  violations?: string[] | undefined;
  /** `policy/rule:control` of each Audit warning (absent when none). */
  warnings?: string[] | undefined;
  /** `policy/exemption` of each exemption that relieved a finding (absent when none). */
  exemptions?: string[] | undefined;
  /** `policy/rule: message` of each evaluation error (absent when none). */
  errors?: string[] | undefined;
  durationMs: number;
}

export interface RuntimeLogger {
  /** pino, for Fastify (`loggerInstance`) and the runtime's other lines. */
  logger: FastifyBaseLogger;
  /** Queues one admission line (when `info` is enabled) for the write at the end of this turn. */
  readonly admission: (record: AdmissionLogRecord) => void;
  /** Writes the queued admission lines now. */
  readonly flush: () => void;
}

const INFO = 30;

/** Characters JSON.stringify escapes in a string (controls, quote, backslash, lone surrogates). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string, as JSON.stringify writes it (most values need no escaping: no call for those). */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function jsonStrings(list: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < list.length; i += 1) out += (i === 0 ? '' : ',') + jsonString(list[i]);
  return `${out}]`;
}

/**
 * The record's members as JSON (without braces), in declaration order, undefined ones left out —
 * what JSON.stringify(record) writes between its braces, without its generic walk.
 */
export function admissionFields(r: AdmissionLogRecord): string {
  let out = `"uid":${jsonString(r.uid)},"webhook":${jsonString(r.webhook)},"operation":${jsonString(r.operation)},"kind":${jsonString(r.kind)}`;
  if (r.subResource !== undefined) out += `,"subResource":${jsonString(r.subResource)}`;
  if (r.namespace !== undefined) out += `,"namespace":${jsonString(r.namespace)}`;
  if (r.name !== undefined) out += `,"name":${jsonString(r.name)}`;
  out += `,"dryRun":${r.dryRun},"decision":${jsonString(r.decision)},"patched":${r.patched}`;
  if (r.violations !== undefined) out += `,"violations":${jsonStrings(r.violations)}`;
  if (r.warnings !== undefined) out += `,"warnings":${jsonStrings(r.warnings)}`;
  if (r.exemptions !== undefined) out += `,"exemptions":${jsonStrings(r.exemptions)}`;
  if (r.errors !== undefined) out += `,"errors":${jsonStrings(r.errors)}`;
  return `${out},"durationMs":${JSON.stringify(r.durationMs)}`;
}

export function createRuntimeLogger(options: LoggerOptions = {}): RuntimeLogger {
  const destination = options.stream ?? pino.destination({ dest: 1, sync: true });
  const logger = pino({ level: options.level ?? 'info' }, destination);
  // pino's own bindings, in pino's order: level, time, pid, hostname.
  const bindings = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},`;
  let queued = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (queued === '') return;
    const text = queued;
    queued = '';
    destination.write(text);
  };
  const admission = (record: AdmissionLogRecord): void => {
    if (logger.levelVal > INFO) return;
    queued += `{"level":${INFO},"time":${Date.now()}${bindings}${admissionFields(record)},"msg":"admission"}\n`;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return { logger, admission, flush };
}
