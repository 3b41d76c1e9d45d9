import { describe, expect, it } from 'vitest';
import { captureLogs } from '../helpers/log-capture';
import { createRuntimeLogger, type AdmissionLogRecord } from '../../runtime/server/logging';

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
    createRuntimeLogger({ level: 'info', stream: ours.stream }).admission(record);
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

  it('writes nothing when info is disabled, and pino lines still go to the same stream', () => {
    const quiet = captureLogs();
    const { admission, logger } = createRuntimeLogger({ level: 'warn', stream: quiet.stream });
    admission(record);
    expect(quiet.text()).toBe('');
    logger.warn({ reason: 'x' }, 'bundle refused');
    expect(lines(quiet.text())).toEqual([expect.objectContaining({ level: 40, msg: 'bundle refused', reason: 'x' })]);
  });
});
