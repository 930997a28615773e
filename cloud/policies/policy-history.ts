// Read side of policies for operators: what was published, and where each version stands in the
// fleet (applied, refused with the edge's reason, or still pending on a targeted edge).
//
// Cost: listing decodes every stored bundle and reads each version's acks, and `pending` looks at
// every registered edge. That is fine for the hundreds of versions and thousands of edges one
// coordinator holds now; rollouts (a later issue) will want per-version counters in the store.
import { v1, type calle } from '../../proto/index.js';
import type { CoordinatorStore, PolicyAckRow } from '../store/coordinator-store.js';
import { targetMatches } from './policy-target.js';

export interface PolicySummary {
  readonly version: number;
  readonly issuedMs: number;
  readonly keyId: string;
  readonly bundle: calle.v1.PolicyBundle;
  readonly applied: number;
  readonly refused: number;
}

export interface PolicyStanding {
  readonly version: number;
  /** Verdicts received, by edge id. */
  readonly acks: readonly PolicyAckRow[];
  /** Registered edges the policy targets that have not answered yet. */
  readonly pending: readonly string[];
}

export class PolicyHistory {
  readonly #store: CoordinatorStore;

  constructor(store: CoordinatorStore) {
    this.#store = store;
  }

  /** Every published version, newest first, with its ack counts. */
  async list(): Promise<PolicySummary[]> {
    const stored = await this.#store.policies.after(0);
    const summaries = await Promise.all(
      stored.map(async ({ version, bundle }) => {
        const decoded = v1.PolicyBundle.decode(bundle);
        const acks = await this.#store.policies.acks(version);
        const applied = acks.filter((a) => a.applied).length;
        return {
          version,
          issuedMs: Number(decoded.issuedMs),
          keyId: decoded.keyId,
          bundle: decoded,
          applied,
          refused: acks.length - applied,
        };
      }),
    );
    return summaries.reverse();
  }

  /** One version's bundle, or undefined if it was never published. */
  async get(version: number): Promise<calle.v1.PolicyBundle | undefined> {
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    const stored = await this.#store.policies.get(version);
    return stored ? v1.PolicyBundle.decode(stored.bundle) : undefined;
  }

  /** Highest published version, 0 if none. */
  async latestVersion(): Promise<number> {
    return this.#store.policies.latestVersion();
  }

  /**
   * Where one version stands. Acks are kept even for a version this coordinator never published
   * (an edge refusing a forged bundle says so); undefined only when there is neither.
   */
  async standing(version: number): Promise<PolicyStanding | undefined> {
    const bundle = await this.get(version);
    const acks = await this.#store.policies.acks(version);
    if (!bundle && acks.length === 0) return undefined;
    const answered = new Set(acks.map((a) => a.edgeId));
    const pending: string[] = [];
    if (bundle)
      for (const edge of await this.#store.registry.listRegistered())
        if (!answered.has(edge.id) && targetMatches(bundle.target, edge)) pending.push(edge.id);
    return { version, acks, pending };
  }
}
