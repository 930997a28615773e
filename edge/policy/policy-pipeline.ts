// The edge's one policy path, from a bundle (the coordinator's, or the stored one at a cold boot)
// to the street, in this order:
//   1. trust   — signature by the pinned key, version (policy-version.ts, judged once, there)
//                and expiry (edge/trust/policy-trust.ts); an untrusted bundle touches nothing;
//   2. bounds  — every section against its limits and this site's plans (policy-bounds.ts);
//   3. apply   — the site takes it whole (EdgeSite.apply);
//   4. store + audit — the stored policy and its audit row commit in one transaction;
//   5. ack     — the verdict returned here is what the coordinator link acks.
// It also keeps the bundle the site runs, which the trust gate needs to recognise a refresh and
// the freshness watch (edge/trust/policy-freshness.ts) needs for its expiry.
//
// The site's own version check and the intake's "lower than the applied" check are gone: the
// trust floor is never below the applied version (every applied version was trusted first), so
// they could not refuse anything the trust gate had passed.
import type { Logger } from 'pino';
import type { calle } from '../../proto/index.js';
import type { AuditLog } from '../../common/audit/audit-log.js';
import type { EdgeSite } from '../site/edge-site.js';
import type { Outbox } from '../store/outbox.js';
import type { PolicyStore } from '../store/policy-store.js';
import { expiryOf } from '../../common/signing/policy-expiry.js';
import type { PolicyFreshness } from '../trust/policy-freshness.js';
import type { PolicyTrust } from '../trust/policy-trust.js';
import { refusal, type Refusal } from '../../common/reasons/reason.js';

export interface PolicyPipelineOptions {
  readonly trust: PolicyTrust;
  readonly site: EdgeSite;
  readonly policies: PolicyStore;
  readonly audit: AuditLog;
  readonly outbox: Outbox;
  readonly freshness: PolicyFreshness;
  readonly log: Logger;
  readonly now: () => number;
}

/** What the coordinator is acked: applied (or already running), or refused with a reason (coded too). */
export type PolicyVerdict = { applied: boolean } & Partial<Refusal>;

export class PolicyPipeline {
  readonly #o: PolicyPipelineOptions;
  /** The bundle the site runs; undefined while it runs the built-in defaults. */
  #running: calle.v1.PolicyBundle | undefined;

  constructor(options: PolicyPipelineOptions) {
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
    const { policies, trust, audit, log } = this.#o;
    const stored = policies.latest();
    if (!stored) {
      log.info('policy: none applied yet; running built-in defaults');
      return;
    }
    const version = Number(stored.version);
    const trusted = trust.checkStored(stored);
    const verdict = trusted.ok ? this.#boundAndApply(stored) : this.#refuseUntrusted(version, trusted);
    audit.record({
      actor: 'system',
      action: verdict.applied ? 'policy.restored' : 'policy.refused',
      target: `policy:${version}`,
      after: verdict.applied ? { version } : refusalRecord(verdict),
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
        after: refusalRecord(trusted),
      });
      return this.#refuseUntrusted(version, trusted);
    }
    if (trusted.kind === 'same') return { applied: true };
    if (trusted.kind === 'refresh') return this.#refresh(bundle);
    const before = site.policyVersion;
    const verdict = this.#boundAndApply(bundle);
    const record = {
      actor: 'coordinator',
      action: verdict.applied ? 'policy.applied' : 'policy.refused',
      target: `policy:${version}`,
      before: { version: before },
      after: verdict.applied ? bundle.toJSON() : refusalRecord(verdict),
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

  /** Bounds, then the site takes it whole: all of it or none of it. */
  #boundAndApply(bundle: calle.v1.IPolicyBundle): PolicyVerdict {
    const { site, log } = this.#o;
    const checked = site.checkPolicy(bundle);
    if (!checked.ok) {
      const refused = refusal(...checked.problems);
      log.warn({ version: bundle.version, reason: refused.reason }, 'policy: refused on bounds');
      return { applied: false, ...refused };
    }
    site.apply(checked.policy);
    return { applied: true };
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
  #refuseUntrusted(version: number, refused: Refusal): { applied: false } & Refusal {
    const { log, trust, outbox, now } = this.#o;
    const { reason } = refused;
    log.error({ version, reason, pinnedKeyId: trust.keyId }, 'policy: refused, not trusted');
    outbox.raise({
      code: 'POLICY_UNTRUSTED',
      severity: 'critical',
      message: `policy ${version} refused: ${reason}`,
      timeMs: now(),
      active: false,
    });
    return { applied: false, reason, reasonCode: refused.reasonCode };
  }
}

/** A refusal as its audit row keeps it: the English, and the codes the console translates. */
function refusalRecord(r: Partial<Refusal>): { reason?: string; reasonCode?: Refusal['reasonCode'] } {
  return { reason: r.reason ?? '', ...(r.reasonCode ? { reasonCode: r.reasonCode } : {}) };
}
