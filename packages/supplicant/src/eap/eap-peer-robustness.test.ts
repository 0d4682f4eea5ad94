// Hostile input to the EAP peer (RFC 3748): receive() never rejects or throws, whatever the
// bytes and wherever the conversation is, and whatever it answers is a well-formed EAP
// Response carrying the identifier of the Request it answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EapCode, EapTlsFlag, EapType, decodeEap, encodeEap } from '@airlock/rsn';
import { EapPeer, type EapMethodConfig } from './index.js';
import { ScriptedEapServer } from './testing/scripted-eap-server.js';
import { createTestPki } from './testing/certificates.js';

const pki = createTestPki({ now: new Date(), intermediates: 1 });
const CONFIGS: readonly EapMethodConfig[] = [
  { method: 'tls', cert: pki.client.chain, key: pki.client.key, ca: pki.ca },
  { method: 'ttls-pap', username: 'alice', password: 'secret', ca: pki.ca },
];

/** Receives `packet`, which must resolve (never reject) to undefined or a Response to it. */
async function receiveChecked(peer: EapPeer, packet: Uint8Array): Promise<Buffer | undefined> {
  const response = await peer.receive(packet);
  if (response === undefined) return undefined;
  const request = decodeEap(packet);
  assert.ok(request.ok, 'only a decodable Request gets an answer');
  assert.equal(request.value.code, EapCode.Request);
  const r = decodeEap(response);
  assert.ok(r.ok, 'the answer decodes');
  assert.equal(r.value.code, EapCode.Response);
  assert.equal(r.value.identifier, request.value.identifier);
  assert.equal(response.readUInt16BE(2), response.length);
  return response;
}

/** EAP Requests with plausible headers and hostile contents: types the peer handles, EAP-TLS flags, random data. */
const hostileRequest = fc
  .record({
    identifier: fc.integer({ min: 0, max: 255 }),
    type: fc.oneof(fc.constantFrom(EapType.Identity, EapType.Notification, EapType.Nak, EapType.Md5Challenge, EapType.Tls, EapType.Ttls, EapType.Peap, EapType.Expanded), fc.integer({ min: 0, max: 255 })),
    flags: fc.oneof(fc.constantFrom(EapTlsFlag.Start, 0, EapTlsFlag.MoreFragments, EapTlsFlag.LengthIncluded | EapTlsFlag.MoreFragments), fc.integer({ min: 0, max: 255 })),
    rest: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ identifier, type, flags, rest }) => encodeEap({ code: EapCode.Request, identifier, type, data: Buffer.concat([Buffer.from([flags]), rest]) }));

const anyPacket = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  hostileRequest,
  fc.constantFrom(Buffer.from('03000004', 'hex'), Buffer.from('04000004', 'hex'), Buffer.from('0100000501', 'hex')),
);

void describe('EapPeer.receive() on hostile input', () => {
  void it('never rejects on arbitrary bytes and packet sequences; answers are Responses to the Request', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CONFIGS), fc.array(anyPacket, { minLength: 1, maxLength: 6 }), async (config, packets) => {
        const peer = new EapPeer({ identity: 'robust@airlock.test', config, fragmentSize: 64 });
        for (const packet of packets) await receiveChecked(peer, packet);
        assert.ok(['idle', 'identity', 'method', 'success', 'failure'].includes(peer.state));
        if (peer.state !== 'success') assert.equal(peer.msk, undefined);
        peer.reset();
      }),
      { numRuns: 150 },
    );
  });

  void it('never rejects on mutations of a real conversation\'s packets at any point of it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CONFIGS),
        fc.nat({ max: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (config, cut, edits, truncate) => {
          const peer = new EapPeer({ identity: 'robust@airlock.test', config, fragmentSize: 200 });
          const server = new ScriptedEapServer({ method: config.method === 'tls' ? 'tls' : 'ttls', cert: pki.server.chain, key: pki.server.key, clientCa: pki.ca, users: { alice: 'secret' }, fragmentSize: 200 });
          let packet: Buffer | undefined = server.start();
          for (let n = 0; n < cut && packet !== undefined; n++) {
            const response = await receiveChecked(peer, packet);
            if (response === undefined) break;
            packet = await server.respond(response);
          }
          if (packet === undefined) return;
          const mutated = Buffer.from(packet);
          for (const [at, v] of edits) mutated[at % mutated.length] = v;
          const input = truncate === undefined ? mutated : mutated.subarray(0, truncate % (mutated.length + 1));
          await receiveChecked(peer, input);
          // The genuine packet after the mutated one: still no rejection.
          await receiveChecked(peer, packet);
          server.close();
          peer.reset();
        },
      ),
      { numRuns: 60 },
    );
  });
});
