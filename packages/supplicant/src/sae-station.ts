/**
 * Station (initiator) side of SAE authentication, IEEE 802.11-2020 §12.4.8 (the protocol
 * instance's states Nothing, Committed, Confirmed and Accepted, §12.4.8.6), on the
 * Authentication frame bodies of packages/rsn's sae namespace: Commit, the AP's Commit,
 * Confirm both ways, and the AP's status answers 76 (anti-clogging token: the same Commit
 * again with the token), 77 (group not supported: group 19, with a Rejected Groups element
 * under H2E) and 123 (unknown password identifier). Behaviour follows wpa_supplicant's
 * sme.c where the standard leaves room.
 *
 * Sans-I/O for the simulated stations and tests: frames in, frames out, no timers (the
 * driver retransmits or gives up), randomness injected. A frame that does not fit is
 * reported as `dropped` and leaves the station as it was.
 */
import { sae } from '@airlock/rsn';

/** An SAE Authentication frame as the station sends or receives it (Authentication Algorithm 3). */
export interface SaeFrame {
  /** Authentication Transaction Sequence Number: 1 (Commit) or 2 (Confirm). */
  transaction: number;
  /** Status Code. */
  status: number;
  /** The body after the Status Code field. */
  body: Buffer;
}

/** What receive() asks of the caller. */
export interface SaeStationResult {
  /** Frames to transmit, in order. */
  send: SaeFrame[];
  /** The exchange succeeded: the PMK (the caller's copy) and PMKID for the association. */
  done?: { pmk: Buffer; pmkid: Buffer };
  /** The exchange failed for good, and why. */
  failed?: string;
  /** The frame was ignored, and why (the station's state is unchanged). */
  dropped?: string;
}

/** The protocol instance's state (§12.4.8.6); 'Failed' once the exchange is over without a PMK. */
export type SaeStationState = 'Nothing' | 'Committed' | 'Confirmed' | 'Accepted' | 'Failed';

/** What a station needs to authenticate to one AP with SAE. */
export interface SaeStationOptions {
  /** The SSID (H2E's PT depends on it). */
  ssid: Uint8Array;
  /** The password, as configured. */
  password: Uint8Array;
  /**
   * A password identifier: sent in a Password Identifier element; with H2E it is hashed into
   * PT, with hunting-and-pecking appended to the password as the pre-2020 drafts did.
   */
  identifier?: Uint8Array;
  /** The station's address. */
  ownMac: Uint8Array;
  /** The AP's address (BSSID). */
  apMac: Uint8Array;
  /** Password element derivation: H2E (status 126) or hunting-and-pecking (status 0). */
  pwe: 'h2e' | 'hunt-and-peck';
  /** Random source for rand, mask and hunting-and-pecking's blinding. */
  random: sae.SaeRandom;
  /** PT of (ssid, password, identifier), shared by many stations; derived when absent (H2E). */
  passwordElement?: sae.SaePasswordElement;
  /**
   * The group of the first Commit (default 19). Another group is sent with group 19's
   * fields, for testing an AP's status 77: only group 19's arithmetic exists here.
   */
  group?: number;
}

const GROUP_19 = 19;
const Status = sae.SaeStatus;

/** One SAE exchange of a station with an AP. */
export class SaeStation {
  private readonly opts: SaeStationOptions;
  private readonly h2e: boolean;
  private st: SaeStationState = 'Nothing';
  /** The group of the Commit in flight. */
  private group: number;
  /** Groups the AP refused with status 77 (sent in a Rejected Groups element under H2E). */
  private readonly rejectedGroups: number[] = [];
  /** The anti-clogging token the AP asked for, sent with every later Commit. */
  private token: Buffer | undefined;
  private pwe: sae.SaePwe | undefined;
  private own: sae.SaeOwnCommit | undefined;
  /** The AP's commit as received, to recognise its retransmission. */
  private peerSent: { scalar: Buffer; element: Buffer } | undefined;
  private keys: sae.SaeKeys | undefined;
  /** Send-Confirm of our last Confirm. */
  private sendConfirm = 0;

  /** A station that has sent nothing yet; start() makes its first Commit. */
  constructor(opts: SaeStationOptions) {
    this.opts = opts;
    this.h2e = opts.pwe === 'h2e';
    this.group = opts.group ?? GROUP_19;
  }

  /** Where the exchange is. */
  get state(): SaeStationState {
    return this.st;
  }

  /** The first Commit (§12.4.8.6.1: Nothing -> Committed). Throws when called twice. */
  start(): SaeFrame {
    if (this.st !== 'Nothing') throw new Error('SAE station: start() once per exchange');
    const o = this.opts;
    this.pwe = this.h2e
      ? sae.h2ePwe(o.passwordElement ?? sae.SaePasswordElement.derive(o.ssid, o.password, o.identifier), o.ownMac, o.apMac)
      : sae.huntAndPeckPwe(o.password, o.ownMac, o.apMac, o.identifier, o.random);
    this.own = sae.generateCommit(this.pwe, o.random);
    this.st = 'Committed';
    return this.commitFrame();
  }

  /** Handles one frame from the AP. */
  receive(frame: SaeFrame): SaeStationResult {
    // Global: a finished exchange, or one not started, takes nothing.
    if (this.st === 'Nothing' || this.st === 'Accepted' || this.st === 'Failed') return dropped(`${this.st}: no exchange in progress`);
    if (frame.transaction === 1) return this.onCommitFrame(frame);
    if (frame.transaction === 2) return this.onConfirmFrame(frame);
    return dropped(`transaction sequence number ${frame.transaction}`);
  }

  /** Transaction 1: the AP's Commit, or its status answer to ours. */
  private onCommitFrame(frame: SaeFrame): SaeStationResult {
    switch (frame.status) {
      case Status.ANTI_CLOGGING_TOKEN_REQUIRED:
        return this.onTokenRequest(frame.body);
      case Status.UNSUPPORTED_FINITE_CYCLIC_GROUP:
        return this.onGroupRefused(frame.body);
      case Status.UNKNOWN_PASSWORD_IDENTIFIER:
        return this.fail('unknown password identifier');
      case Status.SUCCESS:
      case Status.SAE_HASH_TO_ELEMENT: {
        const want = this.h2e ? Status.SAE_HASH_TO_ELEMENT : Status.SUCCESS;
        if (frame.status !== want) return this.fail(`the AP's Commit has status ${frame.status}, ours ${want}`);
        return this.onPeerCommit(frame.body);
      }
      default:
        return this.fail(`the AP refused the Commit with status ${frame.status}`);
    }
  }

  /** Status 76 (§12.4.8.6.4): the same commit-scalar and COMMIT-ELEMENT again, with the token. */
  private onTokenRequest(body: Buffer): SaeStationResult {
    if (this.st !== 'Committed') return dropped('anti-clogging request after the AP accepted our Commit');
    const request = sae.decodeAntiCloggingRequest(body, this.h2e);
    if (!request.ok) return dropped(`anti-clogging request: ${request.error.detail}`);
    if (request.value.group !== this.group) return dropped(`anti-clogging request for group ${request.value.group}, ours is ${this.group}`);
    this.token = request.value.token;
    return { send: [this.commitFrame()] };
  }

  /** Status 77: try group 19, listing the refused group under H2E (wpa_supplicant's sme_sae_auth). */
  private onGroupRefused(body: Buffer): SaeStationResult {
    if (this.st !== 'Committed') return dropped('group refusal after the AP accepted our Commit');
    const group = sae.readCommitGroup(body);
    if (group.ok && group.value !== this.group) return dropped(`status 77 for group ${group.value}, ours is ${this.group}`);
    if (this.group === GROUP_19) return this.fail('the AP does not support group 19');
    if (this.h2e) this.rejectedGroups.push(this.group);
    this.group = GROUP_19;
    this.token = undefined;
    this.own = sae.generateCommit(this.pwe!, this.opts.random);
    return { send: [this.commitFrame()] };
  }

  /** The AP's Commit (§12.4.8.6.3 in Committed; a retransmission in Confirmed, §12.4.8.6.5). */
  private onPeerCommit(body: Buffer): SaeStationResult {
    const fields = sae.decodeCommitBody(body, { h2e: this.h2e });
    if (!fields.ok) return dropped(`AP Commit: ${fields.error.detail}`);
    const f = fields.value;
    if (this.st === 'Confirmed') {
      // The AP did not get our Confirm: the same Commit again gets our Confirm again, counted up.
      const same = this.peerSent !== undefined && this.peerSent.scalar.equals(f.scalar) && this.peerSent.element.equals(f.element);
      if (!same) return dropped('another Commit after ours was confirmed');
      if (this.sendConfirm >= sae.SEND_CONFIRM_MAX) return this.fail('Send-Confirm exhausted');
      this.sendConfirm++;
      return { send: [this.confirmFrame()] };
    }
    if (f.group !== this.group) return dropped(`AP Commit for group ${f.group}, ours is ${this.group}`);
    const peer = sae.decodePeerCommit(f.scalar, f.element);
    if (!peer.ok) return dropped(`AP Commit: ${peer.error.detail}`);
    // Under H2E the Rejected Groups element is ours: keyseed is salted with the list we sent.
    const keys = sae.processPeerCommit(this.own!, peer.value, this.h2e ? this.rejectedGroups : undefined);
    // A reflected Commit or an identity K: discarded (§12.4.5.4, §12.4.8.6.3), the AP may send another.
    if (!keys.ok) return dropped(`AP Commit: ${keys.error.detail}`);
    this.keys = keys.value;
    this.peerSent = { scalar: f.scalar, element: f.element };
    this.own = undefined;
    this.sendConfirm = 1;
    this.st = 'Confirmed';
    return { send: [this.confirmFrame()] };
  }

  /** Transaction 2: the AP's Confirm (§12.4.8.6.5: Confirmed -> Accepted). */
  private onConfirmFrame(frame: SaeFrame): SaeStationResult {
    if (frame.status !== Status.SUCCESS) return this.fail(`the AP's Confirm has status ${frame.status}`);
    if (this.st !== 'Confirmed' || this.keys === undefined) return dropped('a Confirm before the AP\'s Commit');
    const c = sae.decodeConfirmBody(frame.body);
    if (!c.ok) return dropped(`AP Confirm: ${c.error.detail}`);
    if (!sae.verifyPeerConfirm(this.keys, c.value.sendConfirm, c.value.confirm)) return this.fail('confirm mismatch');
    const done = { pmk: Buffer.from(this.keys.pmk), pmkid: Buffer.from(this.keys.pmkid) };
    this.release();
    this.st = 'Accepted';
    return { send: [], done };
  }

  /** Our Commit frame with the current group, token and rejected groups. */
  private commitFrame(): SaeFrame {
    const sent = sae.encodeCommit(this.own!);
    const body = sae.encodeCommitBody(
      {
        group: this.group,
        scalar: sent.scalar,
        element: sent.element,
        ...(this.token !== undefined ? { token: this.token } : {}),
        ...(this.opts.identifier !== undefined ? { passwordIdentifier: Buffer.from(this.opts.identifier) } : {}),
        ...(this.h2e && this.rejectedGroups.length > 0 ? { rejectedGroups: [...this.rejectedGroups] } : {}),
      },
      this.h2e,
    );
    return { transaction: 1, status: this.h2e ? Status.SAE_HASH_TO_ELEMENT : Status.SUCCESS, body };
  }

  /** Our Confirm with the current Send-Confirm. */
  private confirmFrame(): SaeFrame {
    const confirm = sae.ownConfirm(this.keys!, this.sendConfirm);
    return { transaction: 2, status: Status.SUCCESS, body: sae.encodeConfirmBody(this.sendConfirm, confirm) };
  }

  private fail(reason: string): SaeStationResult {
    this.release();
    this.st = 'Failed';
    return { send: [], failed: reason };
  }

  /** Drops the exchange's secrets: KCK and PMK wiped, rand and the PWE let go. */
  private release(): void {
    if (this.keys !== undefined) sae.wipeKeys(this.keys);
    this.keys = undefined;
    this.own = undefined;
    this.pwe = undefined;
  }
}

function dropped(reason: string): SaeStationResult {
  return { send: [], dropped: reason };
}
