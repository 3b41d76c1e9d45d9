import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { captureLogs } from '../helpers/log-capture';
import { admissionFields, createRuntimeLogger, type AdmissionLogRecord } from '../../runtime/server/logging';

const record: AdmissionLogRecord = {
  uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
  webhook: '/validate/fail-10s',
  operation: 'CREATE',
  kind: 'Pod',
  subResource: undefined,
  namespace: 'team-a',
  name: 'web "quoted" \n name',
  dryRun: false,
  decision: 'denied',
  patched: false,
  violations: ['resource-limits/limits:requireResources'],
  warnings: undefined,
  errors: undefined,
  durationMs: 0.42,
};

function lines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('runtime logger', () => {
  it('writes the admission line with exactly the shape pino gives the same record', () => {
    const ours = captureLogs();
    const runtime = createRuntimeLogger({ level: 'info', stream: ours.stream });
    runtime.admission(record);
    runtime.flush();
    const viaPino = captureLogs();
    createRuntimeLogger({ level: 'info', stream: viaPino.stream }).logger.info(record, 'admission');
    const [a] = lines(ours.text());
    const [b] = lines(viaPino.text());
    expect(Object.keys(a)).toEqual(Object.keys(b));
    expect({ ...a, time: 0 }).toEqual({ ...b, time: 0 });
    expect(a).toMatchObject({ level: 30, pid: process.pid, msg: 'admission', name: 'web "quoted" \n name' });
    expect(a).not.toHaveProperty('subResource');
    expect(Math.abs((a.time as number) - Date.now())).toBeLessThan(5000);
    expect(ours.text().endsWith('\n')).toBe(true);
    expect(ours.text().split('\n')).toHaveLength(2);
  });

  it('serializes exactly as JSON.stringify would, for any strings (escapes, unicode, lone surrogates)', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('"', '\\', '\n', '\u2028', '\ud800', 'é'));
    const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
    const record: fc.Arbitrary<AdmissionLogRecord> = fc
      .tuple(text, text, maybe(text), maybe(text), maybe(text), fc.boolean(), fc.boolean(), maybe(fc.array(text, { maxLength: 3 })), maybe(fc.array(text, { maxLength: 3 })), maybe(fc.array(text, { maxLength: 2 })), fc.double())
      .map(([uid, webhook, subResource, namespace, name, dryRun, patched, violations, warnings, errors, durationMs]) => ({
        uid,
        webhook,
        operation: 'UPDATE',
        kind: 'Pod',
        subResource,
        namespace,
        name,
        dryRun,
        decision: 'allowed',
        patched,
        violations,
        warnings,
        errors,
        durationMs,
      }));
    fc.assert(
      fc.property(record, (r) => {
        expect(admissionFields(r)).toBe(JSON.stringify(r).slice(1, -1));
      }),
      { numRuns: 500 },
    );
  });

  it('writes the lines of one event-loop turn together at the end of the turn', async () => {
    const out = captureLogs();
    let writes = 0;
    const write = out.stream.write.bind(out.stream);
    out.stream.write = ((chunk: string) => {
      writes += 1;
      return write(chunk);
    }) as typeof out.stream.write;
    const { admission } = createRuntimeLogger({ level: 'info', stream: out.stream });
    admission(record);
    admission({ ...record, uid: 'second' });
    expect(out.text()).toBe('');
    await new Promise((r) => setImmediate(r));
    expect(writes).toBe(1);
    expect(lines(out.text()).map((l) => l.uid)).toEqual([record.uid, 'second']);
  });

  it('writes nothing when info is disabled, and pino lines still go to the same stream', async () => {
    const quiet = captureLogs();
    const { admission, logger } = createRuntimeLogger({ level: 'warn', stream: quiet.stream });
    admission(record);
    await new Promise((r) => setImmediate(r));
    expect(quiet.text()).toBe('');
    logger.warn({ reason: 'x' }, 'bundle refused');
    expect(lines(quiet.text())).toEqual([expect.objectContaining({ level: 40, msg: 'bundle refused', reason: 'x' })]);
  });
});
