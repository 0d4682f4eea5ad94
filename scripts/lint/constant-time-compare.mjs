// ESLint rule airlock/constant-time-compare: secret-derived bytes are compared in constant
// time (IEEE 802.11-2020 §12.7.2 MIC checks; RFC 2865 §3 and RFC 3579 §3.2 authenticators;
// CONVENTIONS.md 8). A timing difference in a compare that stops at the first differing byte
// lets a peer who can retry guess a MIC or an authenticator byte by byte; virtual-time tests
// cannot see it, so the linter does.
//
// Flagged, when an operand's name says it is secret-derived (SECRET_WORDS below, matched
// against the words of the last identifier: `rk.mic`, `st.PMK`, `calculateEapolKeyMic(...)`,
// `expectedPmkid`, `mic[i]`, `tag.toString('hex')`), or a variable's initialiser does
// (`const want = responseAuthenticator(...)`), or, for a callback parameter, the array it
// walks (`pmkids.some((p) => ...)`):
//   a.equals(b), a.compare(b), Buffer.compare(a, b), isDeepStrictEqual(a, b): content compares
//     that stop at the first difference;
//   a === b, a !== b, a == b, a != b: when the secret side is a string or a number (hex text,
//     one byte in a loop). With type information (the repo's config has it) `===` between
//     objects is left alone: on a Buffer it compares references, reads no byte, and is how the
//     core asks "is this the key in use?" before wiping one. Without type information every
//     such `===` is flagged. Never when the other side is a literal, `undefined` or a unary
//     expression (`micVerified === true`, `typeof pmk === 'string'`).
// Not flagged: named constants (`Attr.MessageAuthenticator`, `AKM.PSK`: a member of a
// capitalised name, or a literal type), names whose last word is metadata (`mic.length`,
// `tkLength(c)`, `gtkKeyId`), and "mac", which in this code base names a station's address
// (public, compared in the clear), not a message authentication code; "key" alone (map keys,
// macKey()) is not a secret word either: name the key (pmk, kck, gtk, ...).
// The fix: timingSafeEqualBytes (@airlock/rsn) or equalConstantTime (packages/radius codec),
// both crypto.timingSafeEqual with the (public) length checked first.
import ts from 'typescript';

/** Words of an identifier that mean "derived from a secret" (lower case). */
export const SECRET_WORDS = new Set([
  'mic', 'mics',
  'authenticator', 'authenticators',
  'pmkid', 'pmkids', 'pmk', 'pmks', 'ptk', 'ptks', 'kck', 'kek', 'tk', 'gtk', 'gtks', 'igtk', 'msk', 'emsk', 'psk', 'psks',
  'secret', 'secrets', 'digest', 'hmac', 'cmac', 'tag', 'tags', 'signature',
]);

/** Last words that make a name metadata about a secret rather than the secret itself. */
const METADATA_WORDS = new Set(['length', 'len', 'size', 'count', 'index', 'idx', 'id', 'type', 'kind', 'version', 'fp', 'fingerprint', 'ref', 'label', 'name', 'text', 'cause', 'at', 'ms']);

/** Methods whose result carries the receiver's bytes (`mic.toString('hex')` is still the MIC). */
const VIEW_METHODS = new Set(['toString', 'subarray', 'slice', 'valueOf', 'toJSON']);

/** camelCase / snake_case / UPPER_CASE identifier -> lower-case words. */
export function identifierWords(name) {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g) ?? []).map((w) => w.toLowerCase());
}

/** Strips wrappers that do not change the value: `a!`, `a as T`, `a?.b` chains. */
function unwrap(node) {
  while (node.type === 'TSNonNullExpression' || node.type === 'TSAsExpression' || node.type === 'TSSatisfiesExpression' || node.type === 'ChainExpression') {
    node = node.expression;
  }
  return node;
}

/** The identifier that names `node`'s value, or undefined (literals, computed names, ...). */
function nameOf(node) {
  node = unwrap(node);
  switch (node.type) {
    case 'Identifier':
      return node.name;
    case 'PrivateIdentifier':
      return node.name;
    case 'MemberExpression': {
      // mic[i]: a byte of the MIC; rk.mic: the MIC; Attr.MessageAuthenticator: a constant.
      if (node.computed) return nameOf(node.object);
      const object = unwrap(node.object);
      if (object.type === 'Identifier' && /^[A-Z]/.test(object.name)) return undefined;
      return nameOf(node.property);
    }
    case 'CallExpression': {
      const callee = unwrap(node.callee);
      if (callee.type === 'MemberExpression' && !callee.computed && VIEW_METHODS.has(callee.property.name)) return nameOf(callee.object);
      return nameOf(callee);
    }
    default:
      return undefined;
  }
}

/** True when `name` says its value is secret-derived. */
function isSecretName(name) {
  const words = identifierWords(name);
  if (words.length === 0 || METADATA_WORDS.has(words[words.length - 1])) return false;
  return words.some((x) => SECRET_WORDS.has(x));
}

/** Array methods whose callback's first parameter is an element of the receiver. */
const ELEMENT_METHODS = new Set(['some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'filter', 'forEach', 'map']);

/**
 * How `node` is secret-derived, in words for the message, or undefined. A plain variable
 * counts by its own name, else by where it comes from: its initialiser
 * (`const want = computeMessageAuthenticator(...)`), or, for a callback's first parameter,
 * the array it walks (`pmkids.some((p) => ...)`).
 */
function secretName(node, scopeOf, depth = 0) {
  const name = nameOf(node);
  if (name !== undefined && isSecretName(name)) return `'${name}'`;
  const id = unwrap(node);
  if (id.type !== 'Identifier' || depth > 2) return undefined;
  let variable;
  for (let scope = scopeOf(id); scope && variable === undefined; scope = scope.upper) variable = scope.set.get(id.name);
  if (variable === undefined || variable.defs.length !== 1) return undefined;
  const def = variable.defs[0];
  if (def.type === 'Variable' && def.node.id.type === 'Identifier' && def.node.init) {
    const from = secretName(def.node.init, scopeOf, depth + 1);
    return from === undefined ? undefined : `'${id.name}' (from ${from})`;
  }
  if (def.type === 'Parameter' && def.node.params[0] === def.name) {
    const call = def.node.parent;
    const callee = call?.type === 'CallExpression' && call.arguments.includes(def.node) ? unwrap(call.callee) : undefined;
    if (callee?.type !== 'MemberExpression' || callee.computed || !ELEMENT_METHODS.has(callee.property.name)) return undefined;
    const from = secretName(callee.object, scopeOf, depth + 1);
    return from === undefined ? undefined : `'${id.name}' (an element of ${from})`;
  }
  return undefined;
}

/** Operands of `===` that cannot be a byte string. */
function isScalar(node) {
  node = unwrap(node);
  return node.type === 'Literal' || node.type === 'TemplateLiteral' || node.type === 'UnaryExpression' || (node.type === 'Identifier' && node.name === 'undefined');
}

/** @type {import('eslint').Rule.RuleModule} */
export const constantTimeCompare = {
  meta: {
    type: 'problem',
    docs: { description: 'Compare MICs, authenticators, PMKIDs and keys in constant time (crypto.timingSafeEqual)' },
    schema: [],
    messages: {
      call: "{{name}} is secret-derived: compare it with timingSafeEqualBytes / equalConstantTime (crypto.timingSafeEqual, length checked first), not {{how}}.",
      operator: "{{name}} is secret-derived: compare its bytes with timingSafeEqualBytes / equalConstantTime (crypto.timingSafeEqual, length checked first), not {{how}}.",
    },
  },
  create(context) {
    const services = context.sourceCode.parserServices;
    const typed = services?.program != null && typeof services.getTypeAtLocation === 'function';
    const parts = (node) => {
      const t = services.getTypeAtLocation(node);
      return t.isUnion() ? t.types : [t];
    };
    const PRIMITIVE = ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.Any | ts.TypeFlags.Unknown;
    const LITERAL = ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral | ts.TypeFlags.BigIntLiteral | ts.TypeFlags.BooleanLiteral | ts.TypeFlags.EnumLiteral | ts.TypeFlags.Undefined | ts.TypeFlags.Null;
    /** With types: a compile-time constant (every constituent a literal type). */
    const isConstant = (node) => typed && parts(node).every((p) => (p.flags & LITERAL) !== 0);
    /** With types: no constituent is a string or number, so `===` compares references only. */
    const isReference = (node) => typed && parts(node).every((p) => (p.flags & PRIMITIVE) === 0);

    const scopeOf = (node) => context.sourceCode.getScope(node);
    const report = (node, operands, messageId, how) => {
      for (const o of operands) {
        const name = secretName(o, scopeOf);
        if (name !== undefined && !isConstant(o)) {
          if (messageId === 'operator' && isReference(o)) continue;
          context.report({ node, messageId, data: { name, how } });
          return;
        }
      }
    };
    return {
      CallExpression(node) {
        const callee = unwrap(node.callee);
        let method;
        let operands;
        if (callee.type === 'MemberExpression' && !callee.computed) {
          method = callee.property.name;
          const receiver = unwrap(callee.object);
          // Buffer.compare(a, b) and util.isDeepStrictEqual(a, b): the arguments; a.equals(b): both.
          operands = receiver.type === 'Identifier' && (receiver.name === 'Buffer' || receiver.name === 'util') ? node.arguments : [callee.object, ...node.arguments];
        } else if (callee.type === 'Identifier') {
          method = callee.name;
          operands = node.arguments;
          if (method !== 'isDeepStrictEqual') return;
        } else {
          return;
        }
        if (method !== 'equals' && method !== 'compare' && method !== 'isDeepStrictEqual') return;
        report(node, operands, 'call', `.${method}()`);
      },
      BinaryExpression(node) {
        if (!['===', '!==', '==', '!='].includes(node.operator)) return;
        if (isScalar(node.left) || isScalar(node.right)) return;
        report(node, [node.left, node.right], 'operator', `${node.operator}`);
      },
    };
  },
};

/** The plugin eslint.config.js registers as `airlock`. */
export default { meta: { name: 'airlock' }, rules: { 'constant-time-compare': constantTimeCompare } };
