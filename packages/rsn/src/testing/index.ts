/** Test support shared by the codec tests of every package (not exported from the package's main index). */
export * from '@airlock/bytes/testing';
export * from './captures.js';
export * from './seeded-random.js';
