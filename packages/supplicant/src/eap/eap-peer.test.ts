// Scenario tests of the EAP peer (RFC 3748) with EAP-TLS (RFC 5216, RFC 9190) and
// EAP-TTLS/PAP (RFC 5281) against a scripted EAP server on node:tls's server side, in memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EapCode, EapTlsFlag, EapType, decodeEap, decodeEapTlsPayload, encodeEap } from '@airlock/rsn';
import { EapPeer, type EapMethodConfig, type EapPeerOptions } from './index.js';
import { ScriptedEapServer, type ScriptedEapServerOptions } from './testing/scripted-eap-server.js';
import { createTestPki } from './testing/certificates.js';

const pki = createTestPki({ now: new Date() });
const IDENTITY = 'station@airlock.test';
const USERS = { alice: 'correct horse battery staple' };

function tlsConfig(extra: Partial<Extract<EapMethodConfig, { method: 'tls' }>> = {}): EapMethodConfig {
  return { method: 'tls', cert: pki.client.chain, key: pki.client.key, ca: pki.ca, ...extra };
}

function ttlsConfig(extra: Partial<Extract<EapMethodConfig, { method: 'ttls-pap' }>> = {}): EapMethodConfig {
  return { method: 'ttls-pap', username: 'alice', password: USERS.alice, ca: pki.ca, anonymousIdentity: 'anonymous@airlock.test', ...extra };
}

function server(method: 'tls' | 'ttls', extra: Partial<ScriptedEapServerOptions> = {}): ScriptedEapServer {
  return new ScriptedEapServer({ method, cert: pki.server.chain, key: pki.server.key, clientCa: pki.ca, users: USERS, ...extra });
}

function peer(config: EapMethodConfig, extra: Partial<EapPeerOptions> = {}): EapPeer {
  return new EapPeer({ identity: IDENTITY, config, ...extra });
}

/** Runs the conversation until the peer answers nothing (Success, Failure, or a dropped packet); returns the exchanges. */
async function converse(p: EapPeer, s: ScriptedEapServer, maxExchanges = 300): Promise<number> {
  let packet: Buffer | undefined = s.start();
  for (let n = 0; n < maxExchanges; n++) {
    if (packet === undefined) return n;
    const response = await p.receive(packet);
    if (response === undefined) return n;
    packet = await s.respond(response);
  }
  throw new Error(`no end after ${maxExchanges} exchanges`);
}

/** The peer's EAP-TLS responses in the server's transcript, decoded. */
function peerTlsPayloads(s: ScriptedEapServer, type: number) {
  return s.transcript
    .filter((t) => t.from === 'peer')
    .map((t) => decodeEap(t.packet))
    .filter((d) => d.ok && d.value.type === type)
    .map((d) => {
      assert.ok(d.ok);
      const p = decodeEapTlsPayload(d.value.data);
      assert.ok(p.ok);
      return p.value;
    });
}

void describe('EAP-TLS (RFC 5216, RFC 9190)', () => {
  for (const tlsVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    void it(`${tlsVersion}: succeeds, and the MSK/EMSK equal the server's exportKeyingMaterial`, async () => {
      const p = peer(tlsConfig({ tlsVersion }));
      const s = server('tls', { tlsVersion });
      await converse(p, s);
      assert.equal(s.outcome, 'success', `server: ${s.tlsFailure?.message ?? ''}`);
      assert.equal(p.state, 'success', p.error);
      assert.equal(p.error, undefined);
      assert.equal(p.tlsVersion, tlsVersion);
      assert.equal(s.tlsVersion, tlsVersion);
      assert.equal(s.identity, IDENTITY);
      assert.equal(p.msk?.length, 64);
      assert.equal(p.emsk?.length, 64);
      assert.deepEqual(p.msk, s.msk);
      assert.deepEqual(p.emsk, s.emsk);
      assert.notDeepEqual(p.msk, p.emsk);
    });
  }

  void it('TLS 1.2: the label is "client EAP encryption" with no context (RFC 5216 §2.3), not an empty context', async () => {
    const p = peer(tlsConfig({ tlsVersion: 'TLSv1.2' }));
    const s = server('tls', { tlsVersion: 'TLSv1.2' });
    await converse(p, s);
    assert.equal(p.state, 'success', p.error);
    const noContext = s.exportKeyingMaterial(128, 'client EAP encryption');
    const emptyContext = s.exportKeyingMaterial(128, 'client EAP encryption', Buffer.alloc(0));
    assert.deepEqual(p.msk, noContext.subarray(0, 64));
    assert.notDeepEqual(p.msk, emptyContext.subarray(0, 64));
    s.close();
  });

  void it('TLS 1.3: the commitment message (application data 0x00) is acknowledged with an empty response', async () => {
    const p = peer(tlsConfig({ tlsVersion: 'TLSv1.3' }));
    const s = server('tls', { tlsVersion: 'TLSv1.3' });
    await converse(p, s);
    assert.equal(p.state, 'success', p.error);
    const payloads = peerTlsPayloads(s, EapType.Tls);
    const last = payloads.at(-1)!;
    assert.equal(last.data.length, 0, 'the last response is an ACK');
    assert.equal(last.flags, 0);
  });

  void it('TLS 1.3: EAP-Success without the commitment message is refused (state failure)', async () => {
    const p = peer(tlsConfig({ tlsVersion: 'TLSv1.3' }));
    const s = server('tls', { tlsVersion: 'TLSv1.3', commitment: false });
    await converse(p, s);
    assert.equal(s.outcome, 'success');
    assert.equal(p.state, 'failure');
    assert.match(p.error ?? '', /EAP-Success before the method completed/);
    assert.equal(p.msk, undefined);
  });

  void it('a matching serverName is accepted', async () => {
    const p = peer(tlsConfig({ serverName: pki.serverName }));
    const s = server('tls');
    await converse(p, s);
    assert.equal(p.state, 'success', p.error);
  });

  for (const tlsVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    void it(`${tlsVersion}: a server chain that does not lead to the configured CA fails with an error and a fatal alert`, async () => {
      const p = peer(tlsConfig({ tlsVersion, ca: pki.otherCa }));
      const s = server('tls', { tlsVersion });
      await converse(p, s);
      assert.equal(p.state, 'failure');
      assert.match(p.error ?? '', /server certificate rejected/);
      assert.equal(p.msk, undefined);
      assert.equal(s.outcome, 'failure');
      assert.ok(s.tlsFailure?.remoteAlert, `server saw ${s.tlsFailure?.code ?? 'nothing'}`);
      assert.match(s.tlsFailure.code, /UNKNOWN_CA/);
      // The peer's answer to the server's first flight is the alert alone: no Certificate left the peer.
      const withData = peerTlsPayloads(s, EapType.Tls).filter((x) => x.data.length > 0);
      assert.equal(withData.at(-1)!.data.toString('hex'), '15030300020230');
    });
  }

  void it('a serverName that is not in the certificate fails (ERR_TLS_CERT_ALTNAME_INVALID)', async () => {
    const p = peer(tlsConfig({ serverName: 'evil.example.org' }));
    const s = server('tls');
    await converse(p, s);
    assert.equal(p.state, 'failure');
    assert.match(p.error ?? '', /ERR_TLS_CERT_ALTNAME_INVALID/);
    assert.equal(s.outcome, 'failure');
  });

  for (const tlsVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    void it(`${tlsVersion}: a client certificate the server does not know ends in failure`, async () => {
      const p = peer(tlsConfig({ tlsVersion, cert: pki.unknownClient.chain, key: pki.unknownClient.key }));
      const s = server('tls', { tlsVersion });
      await converse(p, s);
      assert.equal(s.outcome, 'failure');
      assert.ok(s.tlsFailure, 'the server rejected the client certificate');
      assert.equal(p.state, 'failure');
      assert.ok(p.error !== undefined && p.error.length > 0);
      assert.equal(p.msk, undefined);
    });
  }

  void it('TLS 1.2: the server alert about the client certificate is recorded as the error', async () => {
    const p = peer(tlsConfig({ tlsVersion: 'TLSv1.2', cert: pki.unknownClient.chain, key: pki.unknownClient.key }));
    const s = server('tls', { tlsVersion: 'TLSv1.2' });
    await converse(p, s);
    assert.equal(p.state, 'failure');
    assert.match(p.error ?? '', /TLS alert from the server: .*unknown ca/i);
    // RFC 5216 §2.1.3: after the server's alert the peer answers with an empty EAP-TLS response.
    assert.equal(peerTlsPayloads(s, EapType.Tls).at(-1)!.data.length, 0);
  });
});

void describe('EAP-TTLS/PAP (RFC 5281)', () => {
  for (const tlsVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    void it(`${tlsVersion}: succeeds; the server receives User-Name and the padded User-Password; keys match`, async () => {
      const p = peer(ttlsConfig({ tlsVersion }));
      const s = server('ttls', { tlsVersion });
      await converse(p, s);
      assert.equal(s.outcome, 'success', `server: ${s.tlsFailure?.message ?? ''}`);
      assert.equal(p.state, 'success', p.error);
      assert.equal(s.identity, 'anonymous@airlock.test', 'the outer identity is the anonymous one');
      assert.deepEqual(s.pap, { username: 'alice', password: USERS.alice, paddedLength: 32 });
      const [name, pw] = s.avps!;
      assert.equal(name.code, 1);
      assert.equal(name.mandatory, true);
      assert.equal(name.vendorId, undefined);
      assert.equal(pw.code, 2);
      assert.equal(pw.mandatory, true);
      assert.equal(pw.data.length % 16, 0);
      assert.equal(p.tlsVersion, tlsVersion);
      assert.deepEqual(p.msk, s.msk);
      assert.deepEqual(p.emsk, s.emsk);
    });
  }

  void it('without anonymousIdentity the outer identity is `identity`', async () => {
    const p = peer(ttlsConfig({ anonymousIdentity: undefined }));
    const s = server('ttls');
    await converse(p, s);
    assert.equal(s.identity, IDENTITY);
    assert.equal(p.state, 'success', p.error);
  });

  void it('a wrong password ends in EAP-Failure: state failure, no keys', async () => {
    const p = peer(ttlsConfig({ password: 'wrong' }));
    const s = server('ttls');
    await converse(p, s);
    assert.equal(s.pap?.password, 'wrong');
    assert.equal(s.pap?.paddedLength, 16);
    assert.equal(s.outcome, 'failure');
    assert.equal(p.state, 'failure');
    assert.equal(p.error, 'EAP-Failure received');
    assert.equal(p.msk, undefined);
  });

  void it('a wrong CA never lets the password out', async () => {
    const p = peer(ttlsConfig({ ca: pki.otherCa }));
    const s = server('ttls');
    await converse(p, s);
    assert.equal(p.state, 'failure');
    assert.equal(s.pap, undefined);
    assert.equal(s.avps, undefined);
  });
});

void describe('fragmentation (RFC 5216 §2.1.5)', () => {
  for (const method of ['tls', 'ttls'] as const) {
    void it(`${method}: fragmentSize 300 both ways: L on the first fragment only, M on all but the last, each fragment ACKed`, async () => {
      const p = peer(method === 'tls' ? tlsConfig({ tlsVersion: 'TLSv1.2' }) : ttlsConfig({ tlsVersion: 'TLSv1.2' }), { fragmentSize: 300 });
      const s = server(method, { fragmentSize: 300, tlsVersion: 'TLSv1.2' });
      await converse(p, s);
      assert.equal(p.state, 'success', p.error);
      assert.deepEqual(p.msk, s.msk);
      // Server -> peer: the long server chain arrives in many fragments, each ACKed by the peer.
      assert.ok(s.counts.fragmentsSentWithMore >= 5, `server fragments with M: ${s.counts.fragmentsSentWithMore}`);
      assert.equal(s.counts.acksReceived, s.counts.fragmentsSentWithMore);
      // Peer -> server: fragments of at most 300 octets, each ACKed by the server.
      const payloads = peerTlsPayloads(s, method === 'tls' ? EapType.Tls : EapType.Ttls);
      for (const x of payloads) assert.ok(x.data.length <= 300);
      if (method === 'tls') assert.ok(s.counts.fragmentsReceivedWithMore >= 3, `peer fragments with M: ${s.counts.fragmentsReceivedWithMore}`);
      assert.equal(s.counts.acksSent, s.counts.fragmentsReceivedWithMore);
      // Each fragmented message: the first fragment has L (= the whole length) and M, then M only, then neither.
      let expectFirst = true;
      let announced = 0;
      let carried = 0;
      for (const x of payloads.filter((y) => y.data.length > 0)) {
        const more = (x.flags & EapTlsFlag.MoreFragments) !== 0;
        const length = (x.flags & EapTlsFlag.LengthIncluded) !== 0;
        if (expectFirst && more) {
          assert.ok(length, 'the first fragment carries L');
          announced = x.messageLength!;
          carried = 0;
        } else if (!expectFirst) {
          assert.ok(!length, 'only the first fragment carries L');
        }
        carried += x.data.length;
        if (!more && !expectFirst) assert.equal(carried, announced);
        expectFirst = !more;
      }
    });
  }

  void it('default fragment size: 1398 octets of TLS data per fragment', async () => {
    const p = peer(tlsConfig({ tlsVersion: 'TLSv1.2' }));
    const s = server('tls', { tlsVersion: 'TLSv1.2', fragmentSize: 4000 });
    await converse(p, s);
    assert.equal(p.state, 'success', p.error);
    const sizes = peerTlsPayloads(s, EapType.Tls).map((x) => x.data.length);
    assert.ok(sizes.includes(1398), `fragment sizes: ${sizes.join(',')}`);
    assert.ok(sizes.every((n) => n <= 1398));
  });
});

void describe('EAP layer (RFC 3748)', () => {
  void it('a duplicate Request (same identifier and contents) gets the same Response, mid-handshake, without a second TLS step', async () => {
    const p = peer(tlsConfig(), { fragmentSize: 300 });
    const s = server('tls', { fragmentSize: 300 });
    let packet: Buffer | undefined = s.start();
    let duplicates = 0;
    for (let n = 0; n < 300 && packet !== undefined; n++) {
      const response = await p.receive(packet);
      if (response === undefined) break;
      if (n % 3 === 1) {
        // The authenticator retransmits: the peer must answer byte for byte the same.
        const again = await p.receive(packet);
        assert.deepEqual(again, response);
        duplicates++;
      }
      packet = await s.respond(response);
    }
    assert.ok(duplicates >= 3);
    assert.equal(p.state, 'success', p.error);
    assert.deepEqual(p.msk, s.msk);
  });

  void it('the same identifier with other contents is a new Request (some servers reuse identifiers)', async () => {
    const p = peer(tlsConfig());
    const first = await p.receive(encodeEap({ code: EapCode.Request, identifier: 7, type: EapType.Notification, data: Buffer.from('hello') }));
    const second = await p.receive(encodeEap({ code: EapCode.Request, identifier: 7, type: EapType.Identity, data: Buffer.alloc(0) }));
    assert.equal(first?.toString('hex'), '0207000502');
    const d = decodeEap(second!);
    assert.ok(d.ok);
    assert.equal(d.value.type, EapType.Identity);
    assert.equal(d.value.data.toString(), IDENTITY);
  });

  void it('Request/Identity is answered with the identity and the same identifier', async () => {
    const p = peer(tlsConfig());
    const r = await p.receive(Buffer.from('0142000501', 'hex'));
    assert.equal(r?.toString('hex'), '0242' + (5 + IDENTITY.length).toString(16).padStart(4, '0') + '01' + Buffer.from(IDENTITY).toString('hex'));
    assert.equal(p.state, 'identity');
  });

  void it('a method it is not configured for is Nak\'ed with its own method (RFC 3748 §5.3.1), then the server switches', async () => {
    const p = peer(tlsConfig());
    const s = server('tls', { proposeFirst: { type: EapType.Md5Challenge, data: Buffer.from('10' + '00'.repeat(16), 'hex') } });
    await converse(p, s);
    assert.deepEqual(s.naks, [Buffer.from([EapType.Tls])]);
    assert.equal(p.state, 'success', p.error);
  });

  void it('a TTLS peer Naks EAP-TLS naming EAP-TTLS (21)', async () => {
    const p = peer(ttlsConfig());
    const s = server('tls');
    await converse(p, s);
    assert.deepEqual(s.naks, [Buffer.from([EapType.Ttls])]);
    assert.equal(s.outcome, 'failure');
    assert.equal(p.state, 'failure');
  });

  void it('an Expanded Request is answered with an Expanded Nak (RFC 3748 §5.3.2)', async () => {
    const p = peer(tlsConfig());
    const r = await p.receive(Buffer.from(['01', '09', '000c', 'fe', '00137f', '00000001'].join(''), 'hex'));
    assert.equal(
      r?.toString('hex'),
      ['02', '09', '0014', 'fe', '000000', '00000003', 'fe', '000000', '0000000d'].join(''),
    );
  });

  void it('Notification is acknowledged with an empty Response/Notification (RFC 3748 §5.2)', async () => {
    const p = peer(tlsConfig());
    const r = await p.receive(Buffer.from('0103000902' + Buffer.from('hi!!').toString('hex'), 'hex'));
    assert.equal(r?.toString('hex'), '0203000502');
    assert.equal(p.state, 'idle');
  });

  void it('EAP-Success before the method completed ends in failure (RFC 4137 decision FAIL)', async () => {
    const p = peer(tlsConfig());
    await p.receive(Buffer.from('0101000501', 'hex'));
    assert.equal(await p.receive(Buffer.from('03010004', 'hex')), undefined);
    assert.equal(p.state, 'failure');
    assert.match(p.error ?? '', /before the method completed/);
    assert.equal(p.msk, undefined);
  });

  void it('EAP-Failure ends in failure; a new Request/Identity starts over', async () => {
    const p = peer(tlsConfig());
    await p.receive(Buffer.from('0101000501', 'hex'));
    await p.receive(Buffer.from('04010004', 'hex'));
    assert.equal(p.state, 'failure');
    assert.equal(p.error, 'EAP-Failure received');
    const s = server('tls', { firstIdentifier: 2 });
    await converse(p, s);
    assert.equal(p.state, 'success', p.error);
    assert.equal(p.error, undefined);
  });

  void it('method requests without a Start, and Responses, are ignored and leave the state alone', async () => {
    const p = peer(tlsConfig());
    await p.receive(Buffer.from('0101000501', 'hex'));
    assert.equal(await p.receive(Buffer.from('0102000e0d00' + '1603030003010203', 'hex')), undefined);
    assert.match(p.lastDropReason ?? '', /no EAP-TLS Start/);
    assert.equal(await p.receive(Buffer.from('0203000501', 'hex')), undefined);
    assert.match(p.lastDropReason ?? '', /not for a peer/);
    assert.equal(p.state, 'identity');
    assert.equal(p.dropped, 2);
  });

  void it('reset() wipes the keys and returns to idle', async () => {
    const p = peer(tlsConfig());
    const s = server('tls');
    await converse(p, s);
    const msk = p.msk!;
    assert.equal(p.state, 'success');
    p.reset();
    assert.equal(p.state, 'idle');
    assert.equal(p.msk, undefined);
    assert.equal(p.emsk, undefined);
    assert.ok(msk.every((b) => b === 0), 'the MSK buffer was wiped');
  });

  void it('reset() during a TLS step: the late result is discarded', async () => {
    const p = peer(tlsConfig());
    await p.receive(Buffer.from('0101000501', 'hex'));
    const pending = p.receive(Buffer.from(['01', '02', '0006', '0d', '20'].join(''), 'hex')); // EAP-TLS Start
    p.reset();
    assert.equal(await pending, undefined);
    assert.equal(p.state, 'idle');
  });

  void it('rejects an invalid fragmentSize at construction (a programmer error)', () => {
    assert.throws(() => peer(tlsConfig(), { fragmentSize: 0 }), RangeError);
    assert.throws(() => peer(tlsConfig(), { fragmentSize: 1.5 }), RangeError);
  });
});
