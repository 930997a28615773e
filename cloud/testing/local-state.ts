// Test helper: a coordinator's policy side wired on one SQLite store, as cloud/coordinator.ts wires
// it without replication — the store's own implementation of the replication interface
// (StoreWrites), the publisher, the history, and optionally staged rollouts. Not a test file.
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { PolicySigner } from '../keys/policy-signer.js';
import { PolicyHistory } from '../policies/policy-history.js';
import { PolicyPublisher } from '../policies/policy-publisher.js';
import { StoreWrites } from '../replication/store-writes.js';
import { RolloutManager } from '../rollouts/rollout-manager.js';
import type { CoordinatorStore } from '../store/coordinator-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { tempDir } from './harness.js';

export interface LocalStateOptions {
  readonly signer?: PolicySigner;
  readonly now?: () => number;
  readonly validityMs?: number;
  /** Also a RolloutManager, ticking every tickMs (default: a minute, so tests tick it themselves). */
  readonly rollouts?: { readonly tickMs?: number };
}

export interface LocalState {
  readonly writes: StoreWrites;
  readonly publisher: PolicyPublisher;
  readonly history: PolicyHistory;
  readonly rollouts: RolloutManager | undefined;
}

/** Wires and starts the policy side on `store` (closed by the caller). */
export async function localState(
  store: CoordinatorStore,
  log: Logger,
  options: LocalStateOptions = {},
): Promise<LocalState> {
  const writes = new StoreWrites({ store, log, ...(options.now ? { now: options.now } : {}) });
  const publisher = new PolicyPublisher(store.policies, log, {
    replication: writes,
    ...(options.signer ? { signer: options.signer } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.validityMs !== undefined ? { validityMs: options.validityMs } : {}),
  });
  const history = new PolicyHistory(store);
  const rollouts = options.rollouts
    ? new RolloutManager({
        store,
        publisher,
        history,
        log,
        replication: writes,
        tickMs: options.rollouts.tickMs ?? 60_000,
        ...(options.now ? { now: options.now } : {}),
      })
    : undefined;
  await writes.start({
    announce: async (p) => publisher.announce(p),
    rollout: (r) => rollouts?.applyReplicated(r),
    refresh: async (p) => publisher.announceRefresh(p),
  });
  return { writes, publisher, history, rollouts };
}

/** A SQLite store in a temp dir, closed when the test ends. */
export function tempStore(t: ExecutionContext, name = 'coordinator.db'): SqliteStore {
  const store = new SqliteStore(join(tempDir(t), name));
  t.teardown(() => store.closeNow());
  return store;
}
