// The wired agent's --port syntax.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AKM } from '@airlock/rsn';
import { hex } from '@airlock/rsn/testing';
import { parsePortSpec } from './port-spec.js';

void describe('--port IFACE:ssid=...', () => {
  const valid = [
    { desc: 'interface and SSID only', text: 'eth1:ssid=corp', spec: { interfaceName: 'eth1', ssid: 'corp' } },
    { desc: 'akm=none: no RSN element (802.1X without key management)', text: 'eth1:ssid=corp,akm=none', spec: { interfaceName: 'eth1', ssid: 'corp', rsne: Buffer.alloc(0) } },
    {
      desc: 'every option',
      text: 'eth2:ssid=lab,akm=8021x,bssid=02:00:00:00:0b:01,destination=pae-group,static=02:00:00:00:00:01+02-00-00-00-00-02',
      spec: { interfaceName: 'eth2', ssid: 'lab', akm: AKM.IEEE8021X, bssid: hex('02000000 0b01'), destination: 'pae-group', staticStations: [hex('020000000001'), hex('020000000002')] },
    },
  ];
  for (const c of valid) {
    void it(c.desc, () => assert.deepEqual(parsePortSpec(c.text), c.spec));
  }
  const invalid = [
    { desc: 'no interface', text: ':ssid=x', error: /expected IFACE/ },
    { desc: 'no SSID', text: 'eth1:akm=psk', error: /ssid is required/ },
    { desc: 'unknown AKM', text: 'eth1:ssid=x,akm=sae', error: /akm/ },
    { desc: 'bad BSSID', text: 'eth1:ssid=x,bssid=zz', error: /bssid/ },
    { desc: 'bad destination', text: 'eth1:ssid=x,destination=broadcast', error: /destination/ },
    { desc: 'bad static MAC', text: 'eth1:ssid=x,static=02:00:00:00:00:01+nope', error: /static/ },
    { desc: 'unknown option', text: 'eth1:ssid=x,vlan=3', error: /unknown port option/ },
  ];
  for (const c of invalid) {
    void it(`refuses ${c.desc}`, () => assert.throws(() => parsePortSpec(c.text), c.error));
  }
});
