/**
 * The scenarios `npm run bench` knows, in the order it runs them. A scenario is a module
 * exporting a Scenario (scenario.ts); add it here. psk-steady runs at half the rate
 * psk-burst measured just before it; psk-cores runs psk-burst on one worker and on two.
 */
import type { Scenario } from '../scenario.js';
import { eapTls } from './eap-tls.js';
import { failover } from './failover.js';
import { pskBurst, pskCores, pskRedis, pskSteady } from './psk.js';
import { saeBurst } from './sae.js';
import { massRejoin, scale } from './scale.js';

/** Every scenario, in run order. */
export const scenarios: readonly Scenario[] = [pskBurst, pskSteady, pskCores, pskRedis, saeBurst, scale, massRejoin, eapTls, failover];
