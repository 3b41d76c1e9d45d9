export * from './server';
export * from './metrics';
export * from './bundle-state';
export * from './admission-review';
export * from './admission-response';
export * from './dev-certs';
