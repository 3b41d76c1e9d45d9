/**
 * The one place that talks HTTP: a bounded GET/HEAD over node:http(s) that follows the caller's
 * signal, caps the body size, and never leaves a socket or timer behind when it fails.
 */
import { request as httpRequest, type Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { toError } from './deadline';
import { RegistryError } from './errors';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  url: URL;
}

export interface SendOptions {
  method: 'GET' | 'HEAD';
  url: URL;
  headers?: Record<string, string>;
  signal: AbortSignal;
  /** Larger bodies are refused (default 4 MiB: manifests, signature payloads and tokens only). */
  maxBytes?: number;
  agent: HttpAgent | HttpsAgent;
}

export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

export function send(options: SendOptions): Promise<HttpResponse> {
  const { url, signal } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise<HttpResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal, url));
      return;
    }
    const doRequest = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = doRequest(
      url,
      { method: options.method, headers: options.headers ?? {}, agent: options.agent, signal },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            // Reject first: destroying emits 'aborted', which would otherwise win with a vaguer error.
            reject(new RegistryError(`${url.host}: response larger than ${maxBytes} bytes`));
            res.destroy();
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), url }),
        );
        res.on('error', (err) => reject(signal.aborted ? abortError(signal, url) : networkError(url, err)));
        res.on('aborted', () => reject(signal.aborted ? abortError(signal, url) : networkError(url, new Error('aborted'))));
      },
    );
    req.on('error', (err) => reject(signal.aborted ? abortError(signal, url) : networkError(url, err)));
    req.end();
  });
}

function abortError(signal: AbortSignal, _url: URL): Error {
  return toError(signal.reason);
}

/** Transport failures that may pass on retry; TLS verification failures never do. */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

function networkError(url: URL, err: Error): RegistryError {
  const code = (err as NodeJS.ErrnoException).code;
  const retryable = code === undefined ? err.message === 'socket hang up' || err.message === 'aborted' : TRANSIENT.has(code);
  const detail = code !== undefined && code !== err.message ? `${code}: ${err.message}` : err.message;
  return new RegistryError(`${url.host}: ${detail}`, undefined, { cause: err, retryable });
}

/** Parse `Retry-After` (delta-seconds or HTTP-date) into milliseconds from `now`. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
