export * from './schema';
export * from './native-rules';
export * from './canonical';
export * from './load';
export * from './pss-controls';
export * from './targets';
export * from './layout';
