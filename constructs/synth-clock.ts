/**
 * "Now" for synth-time checks (exemption expiry). Fixed by `PORTCULLIS_SYNTH_NOW` (RFC 3339) or the
 * app's `now` prop so tests and CI are reproducible. The time is only ever compared, never written
 * into the output.
 */
export const SYNTH_NOW_ENV = 'PORTCULLIS_SYNTH_NOW';

export function synthNow(env: NodeJS.ProcessEnv = process.env): Date {
  const fixed = env[SYNTH_NOW_ENV];
  if (fixed === undefined || fixed === '') return new Date();
  const t = Date.parse(fixed);
  if (Number.isNaN(t)) throw new Error(`${SYNTH_NOW_ENV}="${fixed}" is not an RFC 3339 time (e.g. 2027-01-01T00:00:00Z)`);
  return new Date(t);
}
