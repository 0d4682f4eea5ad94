/** @airlock/pki: a development CA and the certificates of an airlock deployment (node-forge). */
export { createCa, issueCertificate, issueIntermediateCa, certificateIssuer, extendedKeyUsageOid, keyMatchesCertificate, PkiError, DEFAULT_KEY_BITS, DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS } from './certificates.js';
export type { Pem, CaOptions, IntermediateCaOptions, IssueOptions, CertificateUsage, PkiErrorCode } from './certificates.js';
export { writeDevPki, isValidPkiName, subjectCommonName, chainPem, devIssuerName } from './dev-pki.js';
export type { DevPkiLayout, DevPkiOptions, PemPaths, PkiFileResult } from './dev-pki.js';
export { CERTIFICATE_ROLES, roleMark, issuerMark, readRoleMark, verifyRole, serverRoleProblem, commonNameOf } from './roles.js';
export type { CertificateRole, RoleMark, MarkReading, RoleVerdict } from './roles.js';
export { readSecretFile, SecretFileError, SECRET_FILE_MAX_BYTES } from './secret-file.js';
