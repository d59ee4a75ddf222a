/** Public statistics API: ranking metrics, classification scores, classical tests. */
export * from './ranking.js';
export * from './classification.js';
export * from './hypothesis-tests.js';
export * from './point-process.js';
export * from './layout.js';
export * from './splits.js';
export * from './spca.js';
export * from './random-forest.js';
