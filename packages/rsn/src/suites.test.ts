import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, formatSuite, is8021xAkm, isPskAkm, isSaeAkm, isSupportedAkm } from './suites.js';

// IEEE 802.11-2020 Table 9-151 (AKM suite selectors).
const FT_8021X = 0x000fac03;
const FT_PSK = 0x000fac04;
const FT_SAE = 0x000fac09;
const OWE = 0x000fac12;
const SAE_EXT_KEY = 0x000fac18;
const WPA1_PSK = 0x0050f202;

void describe('AKM predicates (IEEE 802.11-2020 Table 9-151)', () => {
  const cases = [
    { desc: '00-0F-AC:1 802.1X', akm: AKM.IEEE8021X, psk: false, x: true, sae: false, supported: true },
    { desc: '00-0F-AC:2 PSK', akm: AKM.PSK, psk: true, x: false, sae: false, supported: true },
    { desc: '00-0F-AC:5 802.1X SHA-256', akm: AKM.IEEE8021X_SHA256, psk: false, x: true, sae: false, supported: true },
    { desc: '00-0F-AC:6 PSK SHA-256', akm: AKM.PSK_SHA256, psk: true, x: false, sae: false, supported: true },
    { desc: '00-0F-AC:8 SAE: not a PSK AKM (its PMK comes from SAE)', akm: AKM.SAE, psk: false, x: false, sae: true, supported: true },
    { desc: '00-0F-AC:3 FT 802.1X', akm: FT_8021X, psk: false, x: false, sae: false, supported: false },
    { desc: '00-0F-AC:4 FT-PSK', akm: FT_PSK, psk: false, x: false, sae: false, supported: false },
    { desc: '00-0F-AC:9 FT-SAE', akm: FT_SAE, psk: false, x: false, sae: false, supported: false },
    { desc: '00-0F-AC:18 OWE', akm: OWE, psk: false, x: false, sae: false, supported: false },
    { desc: '00-0F-AC:24 SAE-EXT-KEY', akm: SAE_EXT_KEY, psk: false, x: false, sae: false, supported: false },
    { desc: 'WPA1 00-50-F2:2', akm: WPA1_PSK, psk: false, x: false, sae: false, supported: false },
    { desc: 'zero', akm: 0, psk: false, x: false, sae: false, supported: false },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      assert.equal(isPskAkm(c.akm), c.psk, 'isPskAkm');
      assert.equal(is8021xAkm(c.akm), c.x, 'is8021xAkm');
      assert.equal(isSaeAkm(c.akm), c.sae, 'isSaeAkm');
      assert.equal(isSupportedAkm(c.akm), c.supported, 'isSupportedAkm');
    });
  }

  void it('AKM.SAE is 00-0F-AC:8', () => {
    assert.equal(formatSuite(AKM.SAE), '00-0f-ac:8');
  });
});
