/** Test support shared by the codec tests of every package (not exported from the package's main index). */
export * from './codec-table.js';
export * from './captures.js';
export * from './seeded-random.js';
