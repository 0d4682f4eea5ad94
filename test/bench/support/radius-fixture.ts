/**
 * FreeRADIUS and certificates for the enterprise benchmarks: a development PKI (kept in
 * the system temp dir between runs: RSA key generation is slow) and one FreeRADIUS
 * (test/support/freeradius.ts) that both paths of a scenario share.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { writeDevPki, type DevPkiLayout } from '@airlock/pki';
import type { EapPeerOptions } from '@airlock/supplicant';
import { freeRadiusUnavailable, startFreeRadius, type FreeRadius } from '../../support/freeradius.js';
import { pidsWithArgument } from '../../support/proc.js';

/** The apt-get line that installs what the enterprise benchmarks need. */
export const FREERADIUS_INSTALL = 'apt-get install -y freeradius';

/** Shared secret between the RADIUS clients (authenticator and direct path) and FreeRADIUS. */
export const BENCH_RADIUS_SECRET = 'airlock-bench-secret';

/** A running FreeRADIUS with the bench PKI. */
export interface RadiusFixture {
  pki: DevPkiLayout;
  radius: FreeRadius;
  /** Pid of radiusd (for its CPU time), when found. */
  radiusPid: number | undefined;
  /** Station identities, one per client certificate of the pool. */
  identities: string[];
  /** EAP-TLS peer options of station `i` (certificates assigned round robin from the pool). */
  eapTls(i: number): EapPeerOptions;
  stop(): Promise<void>;
}

/** Starts FreeRADIUS with `certificates` EAP-TLS client certificates; throws with the install line when it cannot run. */
export async function startRadiusFixture(certificates: number): Promise<RadiusFixture> {
  const why = freeRadiusUnavailable();
  if (why !== undefined) throw new Error(`${why}\nInstall it with: ${FREERADIUS_INSTALL}`);
  const identities = Array.from({ length: certificates }, (_, i) => `bench-sta-${i + 1}`);
  const pki = writeDevPki(join(tmpdir(), 'airlock-bench-pki'), { stations: identities });
  const radius = await startFreeRadius({
    secret: BENCH_RADIUS_SECRET,
    users: identities.map((name) => ({ name })),
    pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key },
  });
  const ca = readFileSync(pki.ca.cert, 'utf8');
  const pems = identities.map((name) => ({ name, cert: readFileSync(pki.stations[name].cert, 'utf8'), key: readFileSync(pki.stations[name].key, 'utf8') }));
  return {
    pki,
    radius,
    radiusPid: pidsWithArgument(radius.dir)[0],
    identities,
    eapTls(i) {
      const p = pems[i % pems.length];
      return { identity: p.name, config: { method: 'tls', cert: p.cert, key: p.key, ca, serverName: 'radius-server' } };
    },
    stop: () => radius.stop(),
  };
}
