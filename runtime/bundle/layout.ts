/**
 * Where synthesized output lives, shared by the constructs (which write it) and the CLI (which reads
 * and publishes it). `cdk8s synth` empties its output folder before the app runs, so cdk8s.yaml
 * points it at STAGING_DIR, and the app replaces PUBLISH_DIR only after a successful synth.
 */

/** The rule bundle's file name in the output folder. */
export const BUNDLE_FILE = 'portcullis-bundle.json';
/** Where `cdk8s synth` / `portcullis synth` write first (cdk8s.yaml `output`; gitignored). */
export const STAGING_DIR = '.portcullis/synth';
/** What Argo CD syncs and reviewers diff. */
export const PUBLISH_DIR = 'dist';
