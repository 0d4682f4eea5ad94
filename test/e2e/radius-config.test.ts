/**
 * RADIUS client settings at their limits: radius.timeout_ms above the client's 8 s cap of
 * the backed-off timeout (RFC 5080's MRT) used to make the RADIUS client's constructor
 * throw, so an authenticator configured with a slow server never started.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAuthenticator, testConfig } from '../support/topology.js';

void it('radius.timeout_ms of 60 s (the schema maximum): the authenticator starts and lists its server', async () => {
  const auth = await startTestAuthenticator(testConfig(undefined, (c) => {
    c.radius.servers = [{ name: 'slow', host: '127.0.0.1', authPort: 9, acctPort: 9, secret: 'radius config test secret' }];
    c.radius.timeoutMs = 60_000;
  }));
  try {
    const m = await (await fetch(`http://127.0.0.1:${auth.httpPort}/metrics`)).text();
    assert.match(m, /^airlock_radius_server_up\{server="slow"\} 1$/m);
  } finally {
    await auth.stop(500);
  }
});
