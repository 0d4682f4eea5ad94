// The nl80211 agent's --radio syntax, the RSNE a BSS announces, and derived BSSIDs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AKM, CIPHER } from '@airlock/rsn';
import { hex } from '@airlock/rsn/testing';
import { AKM_SAE, derivedBssid, parseRadioSpec, radioExtendedCapabilities, radioRsne, radioRsnxe, type RadioBssSpec } from './radio-spec.js';

const DEFAULTS: Omit<RadioBssSpec, 'interfaceName' | 'ssid'> = { akms: [AKM.PSK], cipher: CIPHER.CCMP_128, channel: 1, beaconIntervalTu: 100, dtimPeriod: 2, maxInactivityS: 300, ieee80211w: 0, saePwe: 2, beaconProtection: false };

void describe('--radio IFACE:ssid=...', () => {
  const valid: { desc: string; text: string; spec: RadioBssSpec }[] = [
    { desc: 'interface and SSID only: WPA2-PSK, CCMP, channel 1 and the other defaults', text: 'wlan0:ssid=corp', spec: { interfaceName: 'wlan0', ssid: 'corp', ...DEFAULTS } },
    {
      desc: 'every option',
      text: 'wlan1:ssid=lab,akm=8021x+8021x-sha256,cipher=gcmp-256,channel=36,bssid=02:00:00:00:0b:01,max_sta=32,beacon_int=200,dtim=3,max_inactivity=0',
      spec: {
        interfaceName: 'wlan1',
        ssid: 'lab',
        akms: [AKM.IEEE8021X, AKM.IEEE8021X_SHA256],
        cipher: CIPHER.GCMP_256,
        channel: 36,
        bssid: hex('02000000 0b01'),
        maxStations: 32,
        beaconIntervalTu: 200,
        dtimPeriod: 3,
        maxInactivityS: 0,
        ieee80211w: 0,
        saePwe: 2,
        beaconProtection: false,
      },
    },
    { desc: 'akm=psk+psk-sha256, cipher=ccmp-256', text: 'wlan0:ssid=x,akm=psk+psk-sha256,cipher=ccmp-256', spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, akms: [AKM.PSK, AKM.PSK_SHA256], cipher: CIPHER.CCMP_256 } },
    { desc: 'cipher=gcmp', text: 'wlan0:ssid=x,cipher=gcmp', spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, cipher: CIPHER.GCMP_128 } },
    { desc: 'an SSID with "=" and spaces in it', text: 'wlan0:ssid=a=b c', spec: { interfaceName: 'wlan0', ssid: 'a=b c', ...DEFAULTS } },
    { desc: 'a 32-octet UTF-8 SSID (16 × "é")', text: `wlan0:ssid=${'é'.repeat(16)}`, spec: { interfaceName: 'wlan0', ssid: 'é'.repeat(16), ...DEFAULTS } },
    {
      desc: 'the bounds: channel 177, max_sta 2007, beacon_int 15, dtim 255, max_inactivity 86400',
      text: 'wlan0:ssid=x,channel=177,max_sta=2007,beacon_int=15,dtim=255,max_inactivity=86400',
      spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, channel: 177, maxStations: 2007, beaconIntervalTu: 15, dtimPeriod: 255, maxInactivityS: 86400 },
    },
    { desc: 'a BSSID without separators; interface names with "." "-" "_"', text: 'wlp0s20f3.1-a_b:ssid=x,bssid=020000000b02', spec: { interfaceName: 'wlp0s20f3.1-a_b', ssid: 'x', ...DEFAULTS, bssid: hex('020000000b02') } },
    { desc: 'an option given twice: the last one counts', text: 'wlan0:ssid=a,ssid=b,channel=6,channel=11', spec: { interfaceName: 'wlan0', ssid: 'b', ...DEFAULTS, channel: 11 } },
    // WPA3 (hostapd's defaults: SAE alone requires PMF, transition mode offers it).
    { desc: 'akm=sae: WPA3-Personal, ieee80211w=2 by default, sae_pwe 2', text: 'wlan0:ssid=x,akm=sae', spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, akms: [AKM_SAE], ieee80211w: 2 } },
    { desc: 'akm=psk+sae: transition mode, ieee80211w=1 by default', text: 'wlan0:ssid=x,akm=psk+sae', spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, akms: [AKM.PSK, AKM_SAE], ieee80211w: 1 } },
    { desc: 'akm=sae with ieee80211w=1 and sae_pwe=0 (hunting-and-pecking only)', text: 'wlan0:ssid=x,akm=sae,ieee80211w=1,sae_pwe=0', spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, akms: [AKM_SAE], ieee80211w: 1, saePwe: 0 } },
    { desc: 'akm=psk+sae,ieee80211w=2,sae_pwe=1,beacon_prot=1', text: 'wlan0:ssid=x,akm=psk+sae,ieee80211w=2,sae_pwe=1,beacon_prot=1', spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, akms: [AKM.PSK, AKM_SAE], ieee80211w: 2, saePwe: 1, beaconProtection: true } },
    { desc: 'WPA2-PSK with PMF optional (ieee80211w=1) and beacon_prot=0', text: 'wlan0:ssid=x,ieee80211w=1,beacon_prot=0', spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, ieee80211w: 1 } },
    { desc: 'WPA2-Enterprise with PMF required and beacon protection', text: 'wlan0:ssid=x,akm=8021x,ieee80211w=2,beacon_prot=1', spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, akms: [AKM.IEEE8021X], ieee80211w: 2, beaconProtection: true } },
    { desc: 'the order of the options does not matter (ieee80211w before akm)', text: 'wlan0:ieee80211w=1,akm=sae,ssid=x', spec: { interfaceName: 'wlan0', ssid: 'x', ...DEFAULTS, akms: [AKM_SAE], ieee80211w: 1 } },
  ];
  for (const c of valid) {
    void it(c.desc, () => assert.deepStrictEqual(parseRadioSpec(c.text), c.spec));
  }

  const invalid = [
    { desc: 'no colon', text: 'wlan0', error: /^Error: expected IFACE:ssid=\.\.\.\[,key=value\.\.\.\], got "wlan0"$/ },
    { desc: 'no interface', text: ':ssid=x', error: /expected IFACE:ssid=.*got ":ssid=x"/ },
    { desc: 'an interface name of 16 characters', text: 'wlan0123456789ab:ssid=x', error: /not an interface name: "wlan0123456789ab"/ },
    { desc: 'an interface name with "/"', text: 'wl/an0:ssid=x', error: /not an interface name: "wl\/an0"/ },
    { desc: 'no SSID', text: 'wlan0:akm=psk', error: /radio wlan0: ssid is required \(1\.\.32 octets\)/ },
    { desc: 'an empty SSID', text: 'wlan0:ssid=', error: /radio wlan0: ssid is required \(1\.\.32 octets\)/ },
    { desc: 'an SSID of 33 octets', text: `wlan0:ssid=${'x'.repeat(33)}`, error: /ssid is required \(1\.\.32 octets\)/ },
    { desc: 'a UTF-8 SSID of 34 octets (17 × "é")', text: `wlan0:ssid=${'é'.repeat(17)}`, error: /ssid is required \(1\.\.32 octets\)/ },
    { desc: 'an unknown AKM', text: 'wlan0:ssid=x,akm=owe', error: /akm: expected one or more of psk, psk-sha256, sae, 8021x, 8021x-sha256 joined by \+, got "owe"/ },
    { desc: 'an unknown AKM among known ones', text: 'wlan0:ssid=x,akm=psk+owe', error: /akm: .*got "psk\+owe"/ },
    { desc: 'an empty AKM', text: 'wlan0:ssid=x,akm=', error: /akm: .*got ""/ },
    { desc: 'cipher TKIP', text: 'wlan0:ssid=x,cipher=tkip', error: /cipher: expected one of ccmp, gcmp, ccmp-256, gcmp-256, got "tkip"/ },
    { desc: 'channel 0', text: 'wlan0:ssid=x,channel=0', error: /channel: expected an integer 1\.\.177, got "0"/ },
    { desc: 'channel 178', text: 'wlan0:ssid=x,channel=178', error: /channel: expected an integer 1\.\.177, got "178"/ },
    { desc: 'a channel that is not a number', text: 'wlan0:ssid=x,channel=six', error: /channel: expected an integer 1\.\.177, got "six"/ },
    { desc: 'a fractional channel', text: 'wlan0:ssid=x,channel=6.5', error: /channel: expected an integer .*got "6\.5"/ },
    { desc: 'a negative channel', text: 'wlan0:ssid=x,channel=-1', error: /channel: expected an integer .*got "-1"/ },
    { desc: 'a channel in exponent notation', text: 'wlan0:ssid=x,channel=1e1', error: /channel: expected an integer .*got "1e1"/ },
    { desc: 'a BSSID that is not a MAC address', text: 'wlan0:ssid=x,bssid=zz', error: /bssid: not a unicast MAC address: "zz"/ },
    { desc: 'a group address as BSSID', text: 'wlan0:ssid=x,bssid=01:00:5e:00:00:01', error: /bssid: not a unicast MAC address: "01:00:5e:00:00:01"/ },
    { desc: 'max_sta 0', text: 'wlan0:ssid=x,max_sta=0', error: /max_sta: expected an integer 1\.\.2007, got "0"/ },
    { desc: 'max_sta 2008 (more than there are AIDs)', text: 'wlan0:ssid=x,max_sta=2008', error: /max_sta: expected an integer 1\.\.2007, got "2008"/ },
    { desc: 'beacon_int 14', text: 'wlan0:ssid=x,beacon_int=14', error: /beacon_int: expected an integer 15\.\.65535, got "14"/ },
    { desc: 'dtim 0', text: 'wlan0:ssid=x,dtim=0', error: /dtim: expected an integer 1\.\.255, got "0"/ },
    { desc: 'dtim 256', text: 'wlan0:ssid=x,dtim=256', error: /dtim: expected an integer 1\.\.255, got "256"/ },
    { desc: 'max_inactivity of more than a day', text: 'wlan0:ssid=x,max_inactivity=86401', error: /max_inactivity: expected an integer 0\.\.86400, got "86401"/ },
    { desc: 'an unknown option (the known ones listed)', text: 'wlan0:ssid=x,vlan=3', error: /unknown radio option "vlan" \(ssid, akm, cipher, channel, bssid, max_sta, beacon_int, dtim, max_inactivity, ieee80211w, sae_pwe, beacon_prot\)/ },
    { desc: 'SAE without PMF (ieee80211w=0)', text: 'wlan0:ssid=x,akm=sae,ieee80211w=0', error: /radio wlan0: akm=sae needs management frame protection \(ieee80211w=1 or 2\)/ },
    { desc: 'transition mode without PMF (ieee80211w=0)', text: 'wlan0:ssid=x,akm=psk+sae,ieee80211w=0', error: /akm=sae needs management frame protection/ },
    { desc: 'ieee80211w 3', text: 'wlan0:ssid=x,ieee80211w=3', error: /ieee80211w: expected an integer 0\.\.2, got "3"/ },
    { desc: 'ieee80211w without a value', text: 'wlan0:ssid=x,ieee80211w', error: /ieee80211w: expected an integer 0\.\.2, got ""/ },
    { desc: 'sae_pwe 3', text: 'wlan0:ssid=x,akm=sae,sae_pwe=3', error: /sae_pwe: expected an integer 0\.\.2, got "3"/ },
    { desc: 'sae_pwe on a BSS without SAE', text: 'wlan0:ssid=x,akm=psk,sae_pwe=1', error: /radio wlan0: sae_pwe applies to SAE only/ },
    { desc: 'beacon_prot 2', text: 'wlan0:ssid=x,akm=sae,beacon_prot=2', error: /beacon_prot: expected an integer 0\.\.1, got "2"/ },
    { desc: 'beacon_prot without PMF', text: 'wlan0:ssid=x,akm=psk,beacon_prot=1', error: /radio wlan0: beacon_prot=1 needs management frame protection/ },
    { desc: 'a trailing comma (an empty option)', text: 'wlan0:ssid=x,', error: /unknown radio option ""/ },
  ];
  for (const c of invalid) {
    void it(`refuses ${c.desc}`, () => assert.throws(() => parseRadioSpec(c.text), c.error));
  }
});

void describe('radioRsne', () => {
  const base = parseRadioSpec('wlan0:ssid=corp');
  const cases = [
    {
      desc: 'WPA2-PSK with CCMP (the defaults)',
      spec: base,
      hex: [
        '30', // element ID: RSN
        '14', // length: 20
        '0100', // version 1
        '000fac04', // group data cipher: CCMP-128
        '0100', '000fac04', // pairwise: CCMP-128
        '0100', '000fac02', // AKM: PSK
        '0000', // RSN capabilities: none
      ],
    },
    {
      desc: '802.1X and 802.1X-SHA256 with GCMP-256 (group = pairwise)',
      spec: parseRadioSpec('wlan0:ssid=corp,akm=8021x+8021x-sha256,cipher=gcmp-256'),
      hex: [
        '30', // element ID
        '18', // length: 24
        '0100', // version 1
        '000fac09', // group data cipher: GCMP-256
        '0100', '000fac09', // pairwise: GCMP-256
        '0200', '000fac01', '000fac05', // AKMs: 802.1X, 802.1X-SHA256
        '0000', // RSN capabilities
      ],
    },
    {
      desc: 'WPA3-Personal (akm=sae): MFPC and MFPR, PMKID Count 0, group management cipher BIP-CMAC-128',
      spec: parseRadioSpec('wlan0:ssid=corp,akm=sae'),
      hex: [
        '30', // element ID: RSN
        '1a', // length: 26
        '0100', // version 1
        '000fac04', // group data cipher: CCMP-128
        '0100', '000fac04', // pairwise: CCMP-128
        '0100', '000fac08', // AKM: SAE
        'c000', // RSN capabilities: MFPR (bit 6), MFPC (bit 7)
        '0000', // PMKID count 0
        '000fac06', // group management cipher: BIP-CMAC-128
      ],
    },
    {
      desc: 'transition mode (akm=psk+sae): PSK and SAE, MFPC only',
      spec: parseRadioSpec('wlan0:ssid=corp,akm=psk+sae'),
      hex: [
        '30', // element ID
        '1e', // length: 30
        '0100', // version 1
        '000fac04', // group data cipher
        '0100', '000fac04', // pairwise
        '0200', '000fac02', '000fac08', // AKMs: PSK, SAE
        '8000', // RSN capabilities: MFPC
        '0000', // PMKID count 0
        '000fac06', // group management cipher: BIP-CMAC-128
      ],
    },
    {
      desc: 'WPA2-PSK with ieee80211w=2 (PSK and PMF required)',
      spec: parseRadioSpec('wlan0:ssid=corp,ieee80211w=2'),
      hex: ['30', '1a', '0100', '000fac04', '0100', '000fac04', '0100', '000fac02', 'c000', '0000', '000fac06'],
    },
  ];
  for (const c of cases) {
    void it(c.desc, () => assert.equal(radioRsne(c.spec).toString('hex'), hex(c.hex).toString('hex')));
  }
});

void describe('radioRsnxe (IEEE 802.11-2020 §9.4.2.241)', () => {
  const h2e = [
    'f4', // element ID: RSN Extension (244)
    '01', // length: 1
    '20', // Extended RSN Capabilities: Field Length 0 (1 octet), bit 5 SAE hash-to-element
  ];
  const cases = [
    { desc: 'SAE with sae_pwe=2 (the default): H2E announced', text: 'wlan0:ssid=x,akm=sae', hex: h2e },
    { desc: 'SAE with sae_pwe=1 (H2E only)', text: 'wlan0:ssid=x,akm=sae,sae_pwe=1', hex: h2e },
    { desc: 'transition mode with sae_pwe=2', text: 'wlan0:ssid=x,akm=psk+sae', hex: h2e },
    { desc: 'SAE with sae_pwe=0 (hunting-and-pecking only): no RSNXE', text: 'wlan0:ssid=x,akm=sae,sae_pwe=0', hex: '' },
    { desc: 'WPA2-PSK: no RSNXE', text: 'wlan0:ssid=x', hex: '' },
    { desc: 'WPA2-PSK with PMF: no RSNXE', text: 'wlan0:ssid=x,ieee80211w=2', hex: '' },
  ];
  for (const c of cases) {
    void it(c.desc, () => assert.equal(radioRsnxe(parseRadioSpec(c.text)).toString('hex'), hex(c.hex).toString('hex')));
  }
});

void describe('radioExtendedCapabilities (IEEE 802.11-2020 §9.4.2.26)', () => {
  void it('beacon_prot=1: bit 84 (Beacon Protection Enabled), 11 octets', () => {
    assert.equal(
      radioExtendedCapabilities(parseRadioSpec('wlan0:ssid=x,akm=sae,beacon_prot=1')).toString('hex'),
      hex([
        '7f', // element ID: Extended Capabilities
        '0b', // length: 11 (bits 0..87)
        '00000000000000000000', // octets 0..9
        '10', // octet 10: bit 84 = bit 4
      ]).toString('hex'),
    );
  });
  void it('without beacon protection: none', () => assert.equal(radioExtendedCapabilities(parseRadioSpec('wlan0:ssid=x,akm=sae')).length, 0));
});

void describe('derivedBssid', () => {
  const cases = [
    { desc: 'a locally administered base (mac80211_hwsim): the last octet + n', base: '020000000000', n: 1, bssid: '020000000001' },
    { desc: 'a universal base: the locally administered bit set too', base: '001122334455', n: 2, bssid: '021122334457' },
    { desc: 'a base with the group bit set: cleared (a BSSID is unicast)', base: '031122334455', n: 1, bssid: '021122334456' },
    { desc: 'the last octet wraps', base: '0200000000ff', n: 1, bssid: '020000000000' },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      const base = hex(c.base);
      assert.equal(derivedBssid(base, c.n).toString('hex'), c.bssid);
      assert.equal(base.toString('hex'), c.base, 'the base is not modified');
    });
  }

  void it('the extra BSSes of one radio get distinct addresses', () => {
    const base = hex('001122334455');
    const all = [1, 2, 3, 4].map((n) => derivedBssid(base, n).toString('hex'));
    assert.equal(new Set(all).size, 4);
  });
});
