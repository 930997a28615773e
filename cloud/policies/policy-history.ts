// Read side of policies for operators: what was published, and where each version stands in the
// fleet (applied, refused with the edge's reason, or still pending on a targeted edge).
//
// Cost: listing decodes every stored bundle and reads each version's acks, and `pending` looks at
// every registered edge. That is fine for the hundreds of versions and thousands of edges one
// coordinator holds now; rollouts (a later issue) will want per-version counters in the store.
import { v1, type calle } from '../../proto/index.js';
import type { CoordinatorDb, PolicyAckRow } from '../store/coordinator-db.js';
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
  readonly #db: CoordinatorDb;

  constructor(db: CoordinatorDb) {
    this.#db = db;
  }

  /** Every published version, newest first, with its ack counts. */
  list(): PolicySummary[] {
    return this.#db
      .policiesAfter(0)
      .map(({ version, bundle }) => {
        const decoded = v1.PolicyBundle.decode(bundle);
        const acks = this.#db.listPolicyAcks(version);
        const applied = acks.filter((a) => a.applied).length;
        return {
          version,
          issuedMs: Number(decoded.issuedMs),
          keyId: decoded.keyId,
          bundle: decoded,
          applied,
          refused: acks.length - applied,
        };
      })
      .reverse();
  }

  /** One version's bundle, or undefined if it was never published. */
  get(version: number): calle.v1.PolicyBundle | undefined {
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    const stored = this.#db.policiesAfter(version - 1)[0];
    return stored?.version === version ? v1.PolicyBundle.decode(stored.bundle) : undefined;
  }

  /** Highest published version, 0 if none. */
  latestVersion(): number {
    return this.#db.policiesAfter(0).at(-1)?.version ?? 0;
  }

  /**
   * Where one version stands. Acks are kept even for a version this coordinator never published
   * (an edge refusing a forged bundle says so); undefined only when there is neither.
   */
  standing(version: number): PolicyStanding | undefined {
    const bundle = this.get(version);
    const acks = this.#db.listPolicyAcks(version);
    if (!bundle && acks.length === 0) return undefined;
    const answered = new Set(acks.map((a) => a.edgeId));
    const pending: string[] = [];
    if (bundle) {
      for (const row of this.#db.listEdgeStatus()) {
        if (row.district === null || answered.has(row.id)) continue; // never registered, or answered
        const edge = this.#db.getEdge(row.id);
        if (edge && targetMatches(bundle.target, edge)) pending.push(row.id);
      }
    }
    return { version, acks, pending };
  }
}
