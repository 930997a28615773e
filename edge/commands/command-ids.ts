// The ids of remote commands this edge has carried out, kept until each command expires: the
// replay guard of edge/commands/command-guard.ts. In SQLite (edge migration 4), so that a reboot
// does not reopen a command's window.
import type { Db } from '../../common/sqlite/open-database.js';

export class CommandIds {
  readonly #claim: (id: string, expiresMs: number) => { changes: number };
  readonly #prune: (nowMs: number) => void;

  constructor(db: Db) {
    const insert = db.prepare('INSERT OR IGNORE INTO command_ids (id, expires_ms) VALUES (?, ?)');
    const prune = db.prepare('DELETE FROM command_ids WHERE expires_ms < ?');
    this.#claim = (id, expiresMs) => insert.run(id, expiresMs);
    this.#prune = (nowMs) => prune.run(nowMs);
  }

  /**
   * Records `id` as used until `expiresMs`. False if it was already used: the caller must refuse
   * the command. Expired ids are pruned on the way (a command id is unusable after its expiry
   * anyway, so forgetting it then is safe).
   */
  claim(id: string, expiresMs: number, nowMs: number): boolean {
    this.#prune(nowMs);
    return this.#claim(id, expiresMs).changes === 1;
  }
}
