/**
 * The operator's radtest (issue 14, `airlock radius test USER PASSWORD`): one PAP
 * Access-Request (RFC 2865 §5.2 User-Password; Message-Authenticator added by the codec, RFC
 * 3579 §3.2) through the authenticator's own RADIUS client, secret and failover, and what of
 * the answer matters to an operator (Reply-Message, Session-Timeout, the tunnel VLAN of RFC
 * 3580 §3.31 as the authenticator would apply it).
 *
 * It is an operator tool that still must not be a flood vector: one test at a time and a
 * token bucket per authenticator (RadiusTestGate), input lengths checked before anything is
 * sent, and the password never logged nor kept (the caller wipes its buffer).
 */
import { Attr, attrInt, attrIpv4, attrString, getAttribute, getAttributes, MAX_ATTRIBUTE_VALUE_LENGTH, MAX_USER_PASSWORD_LENGTH, NasPortType, RadiusCode, readInt, ServiceType, tunnelVlan, type RadiusAttribute } from '@airlock/radius';

/** Tests that may start at once (per authenticator). */
export const RADIUS_TEST_BURST = 5;
/** One more test allowed per this many ms after the burst (6 per minute). */
export const RADIUS_TEST_REFILL_MS = 10_000;

/** What an operator's test got back. */
export type RadiusTestOutcome =
  | { result: 'accept' | 'reject' | 'challenge'; server: string; rttMs: number; replyMessage: string; sessionTimeoutS: number; vlan: string; classes: number }
  | { result: 'timeout'; tried: string[] };

/** Why a test is not run. */
export class RadiusTestRefused extends Error {
  constructor(
    /** 'invalid': bad input (a usage error); 'busy' / 'rate': the gate said no; 'unconfigured': no RADIUS server. */
    readonly reason: 'invalid' | 'busy' | 'rate' | 'unconfigured',
    message: string,
  ) {
    super(message);
    this.name = 'RadiusTestRefused';
  }
}

/** Checks the user name and password lengths (octets, UTF-8); throws RadiusTestRefused 'invalid'. */
export function checkRadiusTestInput(userName: string, password: string): void {
  const user = Buffer.byteLength(userName, 'utf8');
  if (user === 0) throw new RadiusTestRefused('invalid', 'the user name is empty');
  if (user > MAX_ATTRIBUTE_VALUE_LENGTH) throw new RadiusTestRefused('invalid', `the user name is ${user} octets; User-Name holds at most ${MAX_ATTRIBUTE_VALUE_LENGTH}`);
  const pw = Buffer.byteLength(password, 'utf8');
  if (pw === 0) throw new RadiusTestRefused('invalid', 'the password is empty');
  if (pw > MAX_USER_PASSWORD_LENGTH) throw new RadiusTestRefused('invalid', `the password is ${pw} octets; User-Password holds at most ${MAX_USER_PASSWORD_LENGTH} (RFC 2865 5.2)`);
}

/**
 * The attributes of the test's Access-Request, without the User-Password (the client hides it
 * per server): User-Name, the NAS's identity, and the Service-Type and NAS-Port-Type of the
 * authenticator's own requests, so that server policies keyed on them treat the test alike.
 */
export function radiusTestAttributes(userName: string, nas: { identifier: string; ipAddress: string }): RadiusAttribute[] {
  const out: RadiusAttribute[] = [{ type: Attr.UserName, value: attrString(userName) }, { type: Attr.NasIdentifier, value: attrString(nas.identifier) }];
  if (nas.ipAddress !== '') out.push({ type: Attr.NasIpAddress, value: attrIpv4(nas.ipAddress) });
  out.push({ type: Attr.ServiceType, value: attrInt(ServiceType.Framed) });
  out.push({ type: Attr.NasPortType, value: attrInt(NasPortType.Wireless80211) });
  return out;
}

/** The parts of an answer an operator needs. */
export function radiusTestAnswer(code: number, server: string, rttMs: number, attributes: readonly RadiusAttribute[]): RadiusTestOutcome {
  const result = code === RadiusCode.AccessAccept ? 'accept' : code === RadiusCode.AccessChallenge ? 'challenge' : 'reject';
  const st = getAttribute(attributes, Attr.SessionTimeout);
  const vlanId = tunnelVlan(attributes);
  let vlan = vlanId === undefined ? '' : String(vlanId);
  const group = getAttribute(attributes, Attr.TunnelPrivateGroupId);
  if (vlanId === undefined && group !== undefined) {
    // Say why the authenticator would not apply it (a VLAN name, no Tunnel-Type VLAN, ...).
    const text = (group[0] !== undefined && group[0] < 0x20 ? group.subarray(1) : group).toString('utf8');
    vlan = `${text} (not applied: needs a VLAN ID 1..4094 with Tunnel-Type VLAN and Tunnel-Medium-Type 802)`;
  }
  return {
    result,
    server,
    rttMs: Math.round(rttMs * 100) / 100,
    replyMessage: getAttributes(attributes, Attr.ReplyMessage).map((b) => b.toString('utf8')).join('\n'),
    sessionTimeoutS: (st && readInt(st)) ?? 0,
    vlan,
    classes: getAttributes(attributes, Attr.Class).length,
  };
}

/** One test at a time, and a token bucket of RADIUS_TEST_BURST refilled every RADIUS_TEST_REFILL_MS. Time is passed in. */
export class RadiusTestGate {
  private tokens: number;
  private last: number;
  private running = false;

  constructor(
    now: number,
    private readonly burst = RADIUS_TEST_BURST,
    private readonly refillMs = RADIUS_TEST_REFILL_MS,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes the slot and a token, or throws RadiusTestRefused 'busy' / 'rate'; call done() after the test. */
  enter(now: number): { done(): void } {
    if (this.running) throw new RadiusTestRefused('busy', 'a RADIUS test is already running; try again when it has finished');
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.refillMs);
    this.last = now;
    if (this.tokens < 1) {
      const waitS = Math.ceil(((1 - this.tokens) * this.refillMs) / 1000);
      throw new RadiusTestRefused('rate', `too many RADIUS tests: at most ${this.burst} at once and one per ${this.refillMs / 1000} s after that; try again in ${waitS} s`);
    }
    this.tokens -= 1;
    this.running = true;
    let ended = false;
    return {
      done: () => {
        if (ended) return;
        ended = true;
        this.running = false;
      },
    };
  }
}
