/** Test support of every codec (dns-packet's way: one table helper checks each codec alike); not exported from the main index. */
export * from './codec-table.js';
