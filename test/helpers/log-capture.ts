/** An in-memory log sink for a server under test: pass `stream` to the logger, read `text()`. */
import { Writable } from 'node:stream';

export interface LogCapture {
  stream: Writable;
  /** Everything written so far. */
  text: () => string;
}

export function captureLogs(): LogCapture {
  let captured = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      captured += chunk.toString('utf8');
      cb();
    },
  });
  return { stream, text: () => captured };
}
