/**
 * The scenarios `npm run bench` knows, in the order it runs them. A scenario is a module
 * exporting a Scenario (scenario.ts); add it here. Planned (issue 6): psk-burst,
 * psk-steady, scale, mass-rejoin.
 */
import type { Scenario } from '../scenario.js';
import { eapTls } from './eap-tls.js';

/** Every scenario, in run order. */
export const scenarios: readonly Scenario[] = [eapTls];
