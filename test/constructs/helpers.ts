/** Helpers for the construct tests: apps synthesized into temp folders with a fixed clock. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PortcullisApp, SynthValidationError, type PortcullisAppProps } from '../../constructs';

export const NOW = new Date('2026-06-01T00:00:00Z');

export function tempDir(prefix = 'portcullis-synth-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function newApp(props: PortcullisAppProps = {}): PortcullisApp {
  return new PortcullisApp({ outdir: tempDir(), now: NOW, ...props });
}

/** The SynthValidationError `fn` throws (fails the test if it throws nothing or something else). */
export function synthError(fn: () => unknown): SynthValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SynthValidationError) return err;
    throw err;
  }
  throw new Error('expected synth to fail, but it succeeded');
}

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> } } & Record<string, unknown>;

/** Every YAML document in a synthesized folder, with the file it came from. */
export function readManifests(dir: string): Array<{ file: string; object: K8sObject }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))
        .map((d) => d.toJS() as K8sObject | null)
        .filter((o): o is K8sObject => o !== null)
        .map((object) => ({ file, object })),
    );
}

/** All files of a folder, name → bytes. */
export function readTree(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(path.join(dir, f))]));
}

/** A manifest or JSON value as read from dist/ (loosely typed on purpose: tests probe its fields). */
export type Json = ReturnType<typeof JSON.parse>;
