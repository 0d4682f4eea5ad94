/** @airlock/pki: a development CA and the certificates of an airlock deployment (node-forge). */
export { createCa, issueCertificate, certificateIssuer, extendedKeyUsageOid, keyMatchesCertificate, PkiError, DEFAULT_KEY_BITS, DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS } from './certificates.js';
export type { Pem, CaOptions, IssueOptions, CertificateUsage, PkiErrorCode } from './certificates.js';
export { writeDevPki, isValidPkiName, subjectCommonName } from './dev-pki.js';
export type { DevPkiLayout, DevPkiOptions, PemPaths, PkiFileResult } from './dev-pki.js';
