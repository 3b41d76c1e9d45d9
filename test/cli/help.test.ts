/**
 * `--help` through the real entry point (bin/portcullis): `portcullis --help`, `-h` and `help` list
 * every command; every registered command (commandNames(): the table in runtime/cli/main.ts, so a
 * command added later is covered without touching this file) answers `<command> --help`, `-h` and
 * `help <command>` with its usage on stdout and exit 0, and still refuses an unknown flag with a
 * message on stderr and exit 2.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandNames } from '../../runtime/cli/main';
import { parseServeArgs } from '../../runtime/cli/serve-command';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/portcullis');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function portcullis(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    // stdin closed: a command that wrongly waited for input would end, not hang
    const child = spawn(BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const COMMANDS = commandNames();

describe('portcullis --help', () => {
  it('the command table is the one the CLI runs (the cases below are not vacuous)', () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(['serve', 'test', 'scan', 'diff', 'synth']));
  });

  it('--help, -h and help print the usage listing every command, exit 0', async () => {
    const runs = await Promise.all([['--help'], ['-h'], ['help']].map((a) => portcullis(a)));
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^usage: portcullis <command>/);
      for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
      expect(r.stderr).toBe('');
    }
    expect(runs[1].stdout).toBe(runs[0].stdout);
    expect(runs[2].stdout).toBe(runs[0].stdout);
  });

  it('an unknown command exits 2 with a message, also after help', async () => {
    for (const args of [['no-such-command'], ['help', 'no-such-command']]) {
      const r = await portcullis(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('unknown command "no-such-command"');
    }
  });

  for (const name of COMMANDS) {
    describe(`portcullis ${name}`, () => {
      it('--help, -h and "help <command>" print its usage on stdout and exit 0', async () => {
        const runs = await Promise.all([[name, '--help'], [name, '-h'], ['help', name]].map((a) => portcullis(a)));
        for (const r of runs) {
          expect(r.code, `${name}: ${r.stderr}`).toBe(0);
          expect(r.stdout).toMatch(new RegExp(`^usage: portcullis ${name}\\b`));
          expect(r.stderr).toBe('');
        }
        expect(runs[1].stdout).toBe(runs[0].stdout);
        expect(runs[2].stdout).toBe(runs[0].stdout);
      });

      it('an unknown flag exits 2 and names the flag on stderr', async () => {
        const r = await portcullis([name, '--no-such-flag']);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('--no-such-flag');
        expect(r.stdout).toBe('');
      });
    });
  }

  it('serve: --help wins over other flags, but not as the value of one', () => {
    expect(parseServeArgs(['--bundle', 'b.json', '--help'], {})).toEqual({ help: expect.stringMatching(/^usage: portcullis serve /) });
    expect(parseServeArgs(['--port=1', '-h'], {})).toEqual({ help: expect.stringMatching(/^usage: portcullis serve /) });
    expect(parseServeArgs(['--bundle', '--help', '--dev'], {})).toMatchObject({ bundle: '--help', dev: true });
  });
});
