// The edge's policy path, from a bundle (the coordinator's, or the stored one at a cold boot) to
// the site: trust first (policy-trust.ts), then the site's bounds, then the store and the audit row
// in one transaction, then the event. It also keeps the bundle the site runs, which the trust gate
// needs to recognise a refresh and the freshness watch (policy-freshness.ts) needs for its expiry.
//
// One place decides what a bundle does; edge-node wires it to the coordinator link and the console.
import type { Logger } from 'pino';
import type { calle } from '../../proto/index.js';
import type { AuditLog } from '../../common/audit/audit-log.js';
import type { EdgeSite } from '../site/edge-site.js';
import type { Outbox } from '../store/outbox.js';
import type { PolicyStore } from '../store/policy-store.js';
import { expiryOf } from '../../common/signing/policy-expiry.js';
import type { PolicyFreshness } from './policy-freshness.js';
import type { PolicyTrust } from './policy-trust.js';

export interface PolicyIntakeOptions {
  readonly trust: PolicyTrust;
  readonly site: EdgeSite;
  readonly policies: PolicyStore;
  readonly audit: AuditLog;
  readonly outbox: Outbox;
  readonly freshness: PolicyFreshness;
  readonly log: Logger;
  readonly now: () => number;
}

export type PolicyVerdict = { applied: boolean; reason?: string };

export class PolicyIntake {
  readonly #o: PolicyIntakeOptions;
  /** The bundle the site runs; undefined while it runs the built-in defaults. */
  #running: calle.v1.PolicyBundle | undefined;

  constructor(options: PolicyIntakeOptions) {
    this.#o = options;
  }

  /** Expiry of the running policy (policy-expiry.ts), 0 with none: the Watch request carries it. */
  get runningExpiresMs(): number {
    return this.#running ? expiryOf(this.#running) : 0;
  }

  /**
   * Autonomy first: a cold boot runs the last policy this node applied, before any network. An
   * expired one too (it raises POLICY_STALE); only an untrusted one falls back to the defaults.
   */
  restore(): void {
    const { policies, trust, site, audit, log } = this.#o;
    const stored = policies.latest();
    if (!stored) {
      log.info('policy: none applied yet; running built-in defaults');
      return;
    }
    const version = Number(stored.version);
    const trusted = trust.checkStored(stored);
    const verdict = trusted.ok ? site.applyPolicy(stored) : this.#refuseUntrusted(version, trusted.reason);
    audit.record({
      actor: 'system',
      action: verdict.applied ? 'policy.restored' : 'policy.refused',
      target: `policy:${version}`,
      after: verdict.applied ? { version } : { reason: verdict.reason },
    });
    if (verdict.applied) {
      this.#running = stored;
      log.info({ version }, 'policy: restored the last applied policy');
    } else
      log.error(
        { version, reason: verdict.reason },
        'policy: stored policy refused; running built-in defaults',
      );
    this.#o.freshness.track(this.#running);
  }

  /** A bundle from the coordinator: applied, refreshed, or refused with a reason (acked as such). */
  receive(bundle: calle.v1.PolicyBundle): PolicyVerdict {
    const { trust, site, policies, audit, outbox, now } = this.#o;
    const version = Number(bundle.version);
    // Before anything else: until the signature checks out, not even the version means anything.
    const trusted = trust.admit(bundle, this.#running);
    if (!trusted.ok) {
      audit.record({
        actor: 'coordinator',
        action: 'policy.refused',
        target: `policy:${version}`,
        after: { reason: trusted.reason },
      });
      return this.#refuseUntrusted(version, trusted.reason);
    }
    if (trusted.kind === 'same') return { applied: true };
    if (trusted.kind === 'refresh') return this.#refresh(bundle);
    const current = site.policyVersion;
    if (version <= current) {
      // Never go back (a rollback is a new, higher version). The trust floor refuses these first;
      // this stays as the site's own guard.
      const reason = `version: ${version} is lower than the applied ${current}`;
      audit.record({
        actor: 'coordinator',
        action: 'policy.refused',
        target: `policy:${version}`,
        before: { version: current },
        after: { reason },
      });
      return { applied: false, reason };
    }
    const verdict = site.applyPolicy(bundle);
    const record = {
      actor: 'coordinator',
      action: verdict.applied ? 'policy.applied' : 'policy.refused',
      target: `policy:${version}`,
      before: { version: current },
      after: verdict.applied ? bundle.toJSON() : { reason: verdict.reason },
    };
    // The stored policy and its audit row commit together: a power cut leaves both or neither.
    if (verdict.applied) audit.appendWith(record, () => policies.save(bundle, now()));
    else audit.record(record);
    outbox.raise({
      code: verdict.applied ? 'POLICY_APPLIED' : 'POLICY_REFUSED',
      severity: verdict.applied ? 'info' : 'warning',
      message: verdict.applied ? `policy ${version} applied` : `policy ${version} refused: ${verdict.reason}`,
      timeMs: Date.now(),
      active: false,
    });
    if (verdict.applied) {
      this.#running = bundle;
      this.#o.freshness.track(bundle);
    }
    return verdict;
  }

  /**
   * The running version re-signed with a later expiry: stored in place of the old signature (so a
   * restart keeps the later expiry), audited, and the stale alarm cleared. The site is not touched:
   * nothing it does changes.
   */
  #refresh(bundle: calle.v1.PolicyBundle): PolicyVerdict {
    const { policies, audit, log, now } = this.#o;
    const version = Number(bundle.version);
    const before = this.runningExpiresMs;
    audit.appendWith(
      {
        actor: 'coordinator',
        action: 'policy.refreshed',
        target: `policy:${version}`,
        before: { expires: new Date(before).toISOString() },
        after: { expires: new Date(expiryOf(bundle)).toISOString() },
      },
      () => policies.save(bundle, now()),
    );
    this.#running = bundle;
    log.info({ version, expiresMs: expiryOf(bundle) }, 'policy: refreshed (same policy, later expiry)');
    this.#o.freshness.track(bundle);
    return { applied: true };
  }

  /** An unverifiable bundle is a security event; nothing else is touched. */
  #refuseUntrusted(version: number, reason: string): { applied: false; reason: string } {
    const { log, trust, outbox, now } = this.#o;
    log.error({ version, reason, pinnedKeyId: trust.keyId }, 'policy: refused, not trusted');
    outbox.raise({
      code: 'POLICY_UNTRUSTED',
      severity: 'critical',
      message: `policy ${version} refused: ${reason}`,
      timeMs: now(),
      active: false,
    });
    return { applied: false, reason };
  }
}
