/** The Portcullis DSL: policies, rules, exemptions and the app that synthesizes them into dist/. */
export * from './portcullis-app';
export * from './policy';
export * from './exemption';
export * from './rules/policy-rule';
export * from './rules/pod-security';
export * from './rules/verify-images';
export * from './rules/resources';
export * from './rules/image-references';
export * from './rules/host-access';
export * from './rules/require-labels';
export * from './rules/default-seccomp';
export * from './tls';
export * from './runtime-chart';
export * from './sync-waves';
export * from './webhook-groups';
export { SYNTH_NOW_ENV } from './synth-clock';
export * from './publish';
export * from './placeholders';
