/**
 * SAE at the authenticator (IEEE 802.11-2020 §12.4.8, the AP's protocol instances): the
 * Authentication frames of algorithm 3 a station sends through its agent, answered with
 * ours, until the exchange is Accepted and yields a PMK and PMKID for the association and
 * the 4-way handshake. Sans-I/O like the rest of the core: frames in, commands out, one
 * deadline queue of its own.
 *
 * States (no instance = Nothing): an infrastructure AP sends its Commit on the station's
 * Commit (Committed) and its Confirm only once the station's Confirm verified, going
 * straight to Accepted, so a station never hears the AP's Confirm before the AP has
 * checked the password (hostapd's default). A wrong password therefore fails here, at the
 * station's Confirm, answered with status 15 and counted, never at the 4-way handshake.
 *
 * Defences, each costing only the sender:
 * - Anti-clogging: once `antiCloggingThreshold` instances of a BSS are open (Committed),
 *   a Commit must carry a token (HMAC of the BSSID and station address under a key that
 *   changes every minute), which a station can only have if it receives at its address.
 * - A budget of Commits per BSS per second: the expensive step (a PWE and two scalar
 *   multiplications) runs at most that often for one BSS; the rest are dropped, counted.
 * - Instances per BSS and in all are capped; a station whose instance lost sync more
 *   than `sync` times is ignored for a while.
 * - A Commit retransmitted unchanged is answered with the stored Commit, not recomputed.
 */
import { createHmac } from 'node:crypto';
import { takeOldest } from '@airlock/bytes';
import { timingSafeEqualBytes, wipe } from '../crypto/index.js';
import { macKey } from '../mac.js';
import * as sae from '../sae/index.js';
import { DeadlineQueue, type TimerTarget } from './deadline-queue.js';
import type { Effect, Report } from './types.js';

/** One SAE password of a network (hostapd's sae_password), optionally bound to a station or an identifier. */
export interface SaePassword {
  password: string;
  /** Password identifier (the station must name it; §12.4.3). */
  identifier?: string;
  /** Only for this station (macKey), like hostapd's `mac=`. */
  sta?: string;
  /** VLAN for stations that authenticated with this password (0 = none). */
  vlanId?: number;
}

/** SAE policy of a network. */
export interface SaePolicy {
  /** hostapd's sae_pwe: 0 hunting-and-pecking only, 1 hash-to-element only, 2 both. */
  pwe: 0 | 1 | 2;
  /** Passwords, most specific first is not required: a station's own (sta) win over shared ones. */
  passwords: SaePassword[];
  /** Open instances of a BSS from which Commits need an anti-clogging token (hostapd: 5; 0 = always). */
  antiCloggingThreshold: number;
}

/** SAE timing and bounds. */
export interface SaeLimits {
  /** Retransmission period of our Commit while Committed (dot11RSNASAERetransPeriod). */
  retransmitMs: number;
  /** dot11RSNASAESync: retransmissions and resyncs before the instance is dropped. */
  sync: number;
  /** How long an Accepted exchange waits for the station's association. */
  acceptedLifetimeMs: number;
  /** How long a station whose instance lost sync is ignored. */
  disabledMs: number;
  /** Commits processed per BSS per second (the expensive step), and the burst. */
  commitsPerSecond: number;
  commitBurst: number;
  maxInstancesPerBss: number;
  maxInstances: number;
}

export const DEFAULT_SAE_LIMITS: SaeLimits = {
  retransmitMs: 1000,
  sync: 5,
  acceptedLifetimeMs: 60_000,
  disabledMs: 10_000,
  commitsPerSecond: 1000,
  commitBurst: 500,
  maxInstancesPerBss: 1024,
  maxInstances: 65_536,
};

/** A BSS as SAE needs it. */
export interface SaeBss {
  bssid: Buffer;
  ssid: Buffer;
  policy: SaePolicy;
}

/** What an Accepted exchange gives the association. The PMK is the receiver's to wipe. */
export interface SaeResult {
  pmk: Buffer;
  pmkid: Buffer;
  vlanId: number;
  identifier: string | undefined;
}

/** Outcome of an exchange (airlock_sae_authentications_total{result}). */
export type SaeOutcome =
  | 'accepted'
  | 'wrong-password'
  | 'unknown-password-identifier'
  | 'token-required'
  | 'unsupported-group'
  | 'refused'
  | 'timeout';

/** What the responder does to the world. */
export interface SaeHost {
  random(n: number): Buffer;
  emit(e: Effect): void;
  /** An exchange was Accepted: cache its PMKSA (the PMK is a copy the host owns). */
  accepted(bss: SaeBss, sta: Buffer, result: SaeResult): void;
}

type State = 'committed' | 'accepted';

class Instance implements TimerTarget {
  timerGen = 0;
  deadline = Infinity;
  state: State = 'committed';
  /** Our Commit as sent (status and body), for retransmissions. */
  commitStatus = 0;
  commitBody: Buffer = EMPTY;
  /** The station's last Commit (scalar || element), to know a retransmission. */
  peerCommit: Buffer = EMPTY;
  keys: sae.SaeKeys | undefined;
  /** Send-Confirm of our last Confirm, and the station's last (Rc). */
  sendConfirm = 0;
  rc = 0;
  sync = 0;
  vlanId = 0;
  identifier: string | undefined;
  constructor(
    readonly key: string,
    readonly bss: SaeBss,
    readonly sta: Buffer,
    readonly bssKey: string,
  ) {}
}

const EMPTY = Buffer.alloc(0);
const GROUP_19 = 19;
const TOKEN_KEY_ROTATION_MS = 60_000;
/** Passwords whose PT is kept (each holds a precomputed table). */
const MAX_PASSWORD_ELEMENTS = 256;
const Status = sae.SaeStatus;
/** Status 15: the station's Confirm did not verify (hostapd answers a mismatching Confirm with it). */
const CHALLENGE_FAILURE = 15;
/** Status 17: no room for another station. */
const AP_UNABLE_TO_HANDLE_NEW_STA = 17;

export class SaeResponder {
  private readonly instances = new Map<string, Instance>();
  private readonly open = new Map<string, number>();
  private readonly perBss = new Map<string, number>();
  private readonly disabledUntil = new Map<string, number>();
  private readonly budgets = new Map<string, { tokens: number; at: number }>();
  private readonly timers = new DeadlineQueue<Instance>();
  private readonly elements = new Map<string, sae.SaePasswordElement>();
  private tokenKeys: { current: Buffer; previous: Buffer; rotatedAt: number } | undefined;

  constructor(
    private readonly host: SaeHost,
    private readonly limits: SaeLimits = DEFAULT_SAE_LIMITS,
  ) {}

  /** An Authentication frame of algorithm 3 from a station (its agent's event, in order). */
  receive(bss: SaeBss, sta: Buffer, transaction: number, status: number, body: Buffer, now: number): void {
    const key = instanceKey(bss.bssid, sta);
    const disabled = this.disabledUntil.get(key);
    if (disabled !== undefined) {
      if (disabled > now) return this.drop(bss, sta, 'sae_instance_disabled', 'the station lost sync too often: ignored for a while');
      this.disabledUntil.delete(key);
    }
    const inst = this.instances.get(key);
    if (transaction === 1) return this.onCommit(bss, sta, key, inst, status, body, now);
    if (transaction === 2) return this.onConfirm(bss, sta, inst, status, body, now);
    this.drop(bss, sta, 'sae_bad_transaction', `SAE transaction ${transaction}`);
  }

  /** The accepted exchange of a station on a BSS, taken by its association (undefined: none). */
  takeAccepted(bssid: Buffer, sta: Buffer): SaeResult | undefined {
    const inst = this.instances.get(instanceKey(bssid, sta));
    if (inst === undefined || inst.state !== 'accepted' || inst.keys === undefined) return undefined;
    const result: SaeResult = { pmk: Buffer.from(inst.keys.pmk), pmkid: Buffer.from(inst.keys.pmkid), vlanId: inst.vlanId, identifier: inst.identifier };
    this.remove(inst);
    return result;
  }

  /** The station left or was removed: its exchange goes (hostapd frees it with the station). */
  forget(bssid: Buffer, sta: Buffer): void {
    const inst = this.instances.get(instanceKey(bssid, sta));
    if (inst !== undefined) this.remove(inst);
  }

  /** A BSS went: every exchange on it goes. */
  forgetBss(bssid: Buffer): void {
    const bssKey = macKey(bssid);
    for (const inst of this.instances.values()) if (inst.bssKey === bssKey) this.remove(inst);
    this.budgets.delete(bssKey);
  }

  /** The network's passwords changed: cached password elements go (exchanges under way finish with what they had). */
  passwordsChanged(): void {
    this.elements.clear();
  }

  /** Fires due retransmissions and expiries. */
  tick(now: number): void {
    for (let inst = this.timers.popDue(now); inst !== undefined; inst = this.timers.popDue(now)) {
      if (this.instances.get(inst.key) !== inst) continue;
      if (inst.state === 'accepted') {
        this.remove(inst); // the station never associated; its PMKSA stays cached
        continue;
      }
      if (++inst.sync > this.limits.sync) {
        this.outcome(inst.bss, inst.sta, 'timeout', `no Confirm after ${this.limits.sync} retransmissions of our Commit`);
        this.remove(inst);
        continue;
      }
      this.send(inst.bss, inst.sta, 1, inst.commitStatus, inst.commitBody);
      this.timers.schedule(inst, now + this.limits.retransmitMs);
    }
  }

  nextDeadline(): number | undefined {
    return this.timers.peek();
  }

  /** Open exchanges and all instances (status, tests). */
  get size(): { open: number; instances: number } {
    let open = 0;
    for (const n of this.open.values()) open += n;
    return { open, instances: this.instances.size };
  }

  // ---- Commit ---------------------------------------------------------------------

  private onCommit(bss: SaeBss, sta: Buffer, key: string, inst: Instance | undefined, status: number, body: Buffer, now: number): void {
    const policy = bss.policy;
    const h2e = status === Status.SAE_HASH_TO_ELEMENT;
    if (!(h2e ? policy.pwe !== 0 : status === Status.SUCCESS && policy.pwe !== 1)) {
      // hostapd answers a Commit of a PWE method the BSS does not offer with a plain failure.
      this.outcome(bss, sta, 'refused', `Commit with status ${status}: the BSS offers ${pweName(policy.pwe)}`);
      return this.send(bss, sta, 1, Status.UNSPECIFIED_FAILURE, EMPTY);
    }
    const group = sae.readCommitGroup(body);
    if (!group.ok) return this.drop(bss, sta, 'sae_malformed_commit', group.error.detail);
    if (group.value !== GROUP_19) {
      this.outcome(bss, sta, 'unsupported-group', `group ${group.value}`);
      return this.send(bss, sta, 1, Status.UNSUPPORTED_FINITE_CYCLIC_GROUP, body.subarray(0, 2));
    }
    if (inst !== undefined && inst.state === 'committed') {
      const fields = sae.decodeCommitBody(body, { h2e, tokenLength: undefined });
      if (fields.ok && inst.peerCommit.length > 0 && inst.peerCommit.equals(Buffer.concat([fields.value.scalar, fields.value.element]))) {
        // The station retransmitted its Commit: ours again, without new arithmetic.
        if (++inst.sync > this.limits.sync) return this.lostSync(inst, now);
        return this.send(bss, sta, 1, inst.commitStatus, inst.commitBody);
      }
    }
    const bssKey = macKey(bss.bssid);
    // Anti-clogging counts the open exchanges of this BSS other than the station's own.
    const othersOpen = (this.open.get(bssKey) ?? 0) - (inst?.state === 'committed' ? 1 : 0);
    const needToken = othersOpen >= policy.antiCloggingThreshold;
    const fields = sae.decodeCommitBody(body, { h2e, tokenLength: needToken && !h2e ? TOKEN_LENGTH : undefined });
    if (needToken && (!fields.ok || fields.value.token === undefined || !this.validToken(bss.bssid, sta, fields.value.token, now))) {
      this.outcome(bss, sta, 'token-required', `${othersOpen} open exchanges on the BSS`);
      return this.send(bss, sta, 1, Status.ANTI_CLOGGING_TOKEN_REQUIRED, sae.encodeAntiCloggingRequest(GROUP_19, this.token(bss.bssid, sta, now), h2e));
    }
    if (!fields.ok) return this.drop(bss, sta, 'sae_malformed_commit', fields.error.detail);
    const f = fields.value;
    if (f.rejectedGroups !== undefined && f.rejectedGroups.includes(GROUP_19)) {
      // A downgrade: the station says we refused a group we offer.
      this.outcome(bss, sta, 'refused', 'the Rejected Groups element names group 19, which this BSS offers');
      return this.send(bss, sta, 1, Status.UNSPECIFIED_FAILURE, EMPTY);
    }
    const identifier = f.passwordIdentifier !== undefined ? f.passwordIdentifier.toString('utf8') : undefined;
    const password = findPassword(policy, macKey(sta), identifier);
    if (password === undefined) {
      if (identifier !== undefined) {
        this.outcome(bss, sta, 'unknown-password-identifier', 'the station named a password identifier this network does not have');
        return this.send(bss, sta, 1, Status.UNKNOWN_PASSWORD_IDENTIFIER, EMPTY);
      }
      this.outcome(bss, sta, 'refused', 'no SAE password for the station');
      return this.send(bss, sta, 1, Status.UNSPECIFIED_FAILURE, EMPTY);
    }
    if (!this.spend(bssKey, now)) return this.drop(bss, sta, 'sae_commit_budget', 'the BSS is over its SAE Commit budget');
    if (inst === undefined && ((this.perBss.get(bssKey) ?? 0) >= this.limits.maxInstancesPerBss || this.instances.size >= this.limits.maxInstances)) {
      this.outcome(bss, sta, 'refused', 'too many SAE exchanges on the BSS');
      return this.send(bss, sta, 1, AP_UNABLE_TO_HANDLE_NEW_STA, EMPTY);
    }
    const peer = sae.decodePeerCommit(f.scalar, f.element);
    if (!peer.ok) {
      this.outcome(bss, sta, 'refused', `invalid Commit: ${peer.error.detail}`);
      return this.send(bss, sta, 1, Status.UNSPECIFIED_FAILURE, EMPTY);
    }
    const pwe = h2e
      ? sae.h2ePwe(this.passwordElement(bss.ssid, password), bss.bssid, sta)
      : sae.huntAndPeckPwe(Buffer.from(password.password, 'utf8'), bss.bssid, sta, identifier !== undefined ? Buffer.from(identifier, 'utf8') : undefined, (n) => this.host.random(n));
    const own = sae.generateCommit(pwe, (n) => this.host.random(n));
    const keys = sae.processPeerCommit(own, peer.value, h2e ? f.rejectedGroups : undefined);
    if (!keys.ok) {
      // A reflected Commit is discarded silently (§12.4.8.6.4); the other failures are answered.
      if (keys.error.code === 'reflection') return this.drop(bss, sta, 'sae_reflection', keys.error.detail);
      this.outcome(bss, sta, 'refused', keys.error.detail);
      return this.send(bss, sta, 1, Status.UNSPECIFIED_FAILURE, EMPTY);
    }
    const sync = inst?.sync ?? 0;
    if (inst !== undefined) this.remove(inst); // a new Commit starts over (a reauthentication, or another attempt)
    const next = new Instance(key, bss, sta, bssKey);
    next.sync = sync;
    next.keys = keys.value;
    next.vlanId = password.vlanId ?? 0;
    next.identifier = identifier;
    next.peerCommit = Buffer.concat([f.scalar, f.element]);
    next.commitStatus = h2e ? Status.SAE_HASH_TO_ELEMENT : Status.SUCCESS;
    const mine = sae.encodeCommit(own);
    next.commitBody = sae.encodeCommitBody({ group: GROUP_19, scalar: mine.scalar, element: mine.element }, h2e);
    this.add(next);
    this.send(bss, sta, 1, next.commitStatus, next.commitBody);
    this.timers.schedule(next, now + this.limits.retransmitMs);
  }

  // ---- Confirm --------------------------------------------------------------------

  private onConfirm(bss: SaeBss, sta: Buffer, inst: Instance | undefined, status: number, body: Buffer, now: number): void {
    if (inst === undefined || inst.keys === undefined) return this.drop(bss, sta, 'sae_confirm_without_commit', 'SAE Confirm with no exchange in progress');
    if (status !== Status.SUCCESS) return this.drop(bss, sta, 'sae_bad_status', `SAE Confirm with status ${status}`);
    const c = sae.decodeConfirmBody(body);
    if (!c.ok) return this.drop(bss, sta, 'sae_malformed_confirm', c.error.detail);
    const { sendConfirm, confirm } = c.value;
    if (inst.state === 'accepted') {
      // A retransmitted Confirm: the station missed ours. Stale or final values are ignored.
      if (sendConfirm <= inst.rc || sendConfirm === sae.SEND_CONFIRM_MAX) return;
      if (!sae.verifyPeerConfirm(inst.keys, sendConfirm, confirm)) return this.drop(bss, sta, 'sae_confirm_mismatch', 'a retransmitted Confirm did not verify');
      if (++inst.sync > this.limits.sync) return this.lostSync(inst, now);
      inst.rc = sendConfirm;
      return this.sendConfirm(inst);
    }
    if (!sae.verifyPeerConfirm(inst.keys, sendConfirm, confirm)) {
      // The station derived another key: another password (or a forged Confirm).
      this.outcome(bss, sta, 'wrong-password', 'the station\'s SAE Confirm did not verify: it uses another password');
      this.send(bss, sta, 2, CHALLENGE_FAILURE, EMPTY);
      this.remove(inst);
      return;
    }
    inst.rc = sendConfirm;
    this.sendConfirm(inst);
    this.setOpen(inst, false);
    inst.state = 'accepted';
    inst.sync = 0;
    this.timers.schedule(inst, now + this.limits.acceptedLifetimeMs);
    this.outcome(bss, sta, 'accepted', inst.identifier !== undefined ? `password identifier ${inst.identifier}` : '');
    this.host.accepted(bss, sta, { pmk: Buffer.from(inst.keys.pmk), pmkid: Buffer.from(inst.keys.pmkid), vlanId: inst.vlanId, identifier: inst.identifier });
  }

  private sendConfirm(inst: Instance): void {
    if (inst.sendConfirm < sae.SEND_CONFIRM_MAX) inst.sendConfirm++;
    const confirm = sae.ownConfirm(inst.keys!, inst.sendConfirm);
    this.send(inst.bss, inst.sta, 2, Status.SUCCESS, sae.encodeConfirmBody(inst.sendConfirm, confirm));
  }

  // ---- helpers --------------------------------------------------------------------

  private lostSync(inst: Instance, now: number): void {
    this.outcome(inst.bss, inst.sta, 'timeout', `more than ${this.limits.sync} resyncs: the station is ignored for ${this.limits.disabledMs} ms`);
    this.remove(inst);
    if (this.disabledUntil.size >= this.limits.maxInstances) takeOldest(this.disabledUntil);
    this.disabledUntil.set(inst.key, now + this.limits.disabledMs);
  }

  private passwordElement(ssid: Buffer, p: SaePassword): sae.SaePasswordElement {
    const k = `${ssid.toString('hex')}/${p.identifier ?? ''}/${p.password}`;
    let pt = this.elements.get(k);
    if (pt !== undefined) {
      this.elements.delete(k); // most recently used last
      this.elements.set(k, pt);
      return pt;
    }
    pt = sae.SaePasswordElement.derive(ssid, Buffer.from(p.password, 'utf8'), p.identifier !== undefined ? Buffer.from(p.identifier, 'utf8') : undefined);
    if (this.elements.size >= MAX_PASSWORD_ELEMENTS) takeOldest(this.elements);
    this.elements.set(k, pt);
    return pt;
  }

  private spend(bssKey: string, now: number): boolean {
    const { commitsPerSecond, commitBurst } = this.limits;
    let b = this.budgets.get(bssKey);
    if (b === undefined) {
      if (this.budgets.size >= this.limits.maxInstances) takeOldest(this.budgets);
      b = { tokens: commitBurst, at: now };
      this.budgets.set(bssKey, b);
    }
    b.tokens = Math.min(commitBurst, b.tokens + ((now - b.at) * commitsPerSecond) / 1000);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private token(bssid: Buffer, sta: Buffer, now: number): Buffer {
    return tokenFor(this.keysAt(now).current, bssid, sta);
  }

  private validToken(bssid: Buffer, sta: Buffer, token: Buffer, now: number): boolean {
    const k = this.keysAt(now);
    // Either key: a token handed out just before a rotation is still good.
    const a = timingSafeEqualBytes(token, tokenFor(k.current, bssid, sta));
    const b = timingSafeEqualBytes(token, tokenFor(k.previous, bssid, sta));
    return a || b;
  }

  private keysAt(now: number): { current: Buffer; previous: Buffer } {
    let k = this.tokenKeys;
    if (k === undefined) {
      k = { current: this.host.random(32), previous: this.host.random(32), rotatedAt: now };
      this.tokenKeys = k;
    } else if (now - k.rotatedAt >= TOKEN_KEY_ROTATION_MS) {
      wipe(k.previous);
      k.previous = k.current;
      k.current = this.host.random(32);
      k.rotatedAt = now;
    }
    return k;
  }

  private add(inst: Instance): void {
    this.instances.set(inst.key, inst);
    this.perBss.set(inst.bssKey, (this.perBss.get(inst.bssKey) ?? 0) + 1);
    this.setOpen(inst, true);
  }

  private remove(inst: Instance): void {
    if (this.instances.get(inst.key) !== inst) return;
    this.instances.delete(inst.key);
    if (inst.state === 'committed') this.setOpen(inst, false);
    const n = (this.perBss.get(inst.bssKey) ?? 1) - 1;
    if (n > 0) this.perBss.set(inst.bssKey, n);
    else this.perBss.delete(inst.bssKey);
    this.timers.cancel(inst);
    if (inst.keys !== undefined) sae.wipeKeys(inst.keys);
    inst.keys = undefined;
  }

  private setOpen(inst: Instance, open: boolean): void {
    const n = (this.open.get(inst.bssKey) ?? 0) + (open ? 1 : -1);
    if (n > 0) this.open.set(inst.bssKey, n);
    else this.open.delete(inst.bssKey);
  }

  private send(bss: SaeBss, sta: Buffer, transaction: number, status: number, body: Buffer): void {
    this.host.emit({ type: 'transmit-authentication', bssid: bss.bssid, sta, algorithm: sae.SAE_AUTH_ALGORITHM, transaction, status, body });
  }

  private outcome(bss: SaeBss, sta: Buffer, result: SaeOutcome, detail: string): void {
    this.report({ kind: 'sae', bssid: bss.bssid, sta, result, detail });
  }

  private drop(bss: SaeBss, sta: Buffer, reason: string, detail: string): void {
    this.report({ kind: 'frame-dropped', bssid: bss.bssid, sta, reason, detail });
  }

  private report(r: Report): void {
    this.host.emit({ type: 'report', report: r });
  }
}

/** Length of our anti-clogging tokens (HMAC-SHA-256). */
const TOKEN_LENGTH = 32;

function tokenFor(key: Buffer, bssid: Buffer, sta: Buffer): Buffer {
  return createHmac('sha256', key).update(bssid).update(sta).digest();
}

function instanceKey(bssid: Buffer, sta: Buffer): string {
  return `${macKey(bssid)}|${macKey(sta)}`;
}

/** The station's own password first (hostapd's sae_password with mac=), then a shared one; the identifier must match exactly. */
function findPassword(policy: SaePolicy, staKey: string, identifier: string | undefined): SaePassword | undefined {
  let shared: SaePassword | undefined;
  for (const p of policy.passwords) {
    if (p.identifier !== identifier) continue;
    if (p.sta === staKey) return p;
    if (p.sta === undefined && shared === undefined) shared = p;
  }
  return shared;
}

function pweName(pwe: 0 | 1 | 2): string {
  return pwe === 0 ? 'hunting-and-pecking only' : pwe === 1 ? 'hash-to-element only' : 'both PWE methods';
}
