// How far this replica's SQLite copy has applied each large shared bucket, so that a restarting
// replica resumes its KV watch after the last revision it applied instead of re-reading every
// key: at 50,000 edges that re-read took ~13 s per start (issue #16), and it grows with the fleet.
//
// Safe because of what a KV bucket keeps (history 1, state-buckets.ts): the latest entry of every
// key, at its own revision. Every key changed after revision R has its latest entry above R, so
// reading from R + 1 brings exactly what this copy misses; entries at or below R are already here.
// The revision is written in the same transaction as the entry it follows (state-mirror.ts), so a
// crash can only leave it behind the data (an entry applied twice, harmlessly), never ahead.
//
// A bucket deleted and made again starts its revisions over: its stream's creation time is kept
// beside the revision, and a different one means reading the whole bucket again.
import type Database from 'better-sqlite3';

export interface BucketProgress {
  /** The bucket's stream creation time (StreamInfo.created) when the revision was applied. */
  readonly streamCreated: string;
  /** The last revision applied to this file. */
  readonly revision: number;
}

export class MirrorProgress {
  readonly #get: Database.Statement<[string]>;
  readonly #set: Database.Statement<[string, string, number]>;
  readonly #replace: Database.Statement<[string, string, number]>;

  /** On the coordinator's connection (the table comes from migration 3, cloud/store/migrations.ts). */
  constructor(db: Database.Database) {
    this.#get = db.prepare(
      'SELECT stream_created AS streamCreated, revision FROM replication_progress WHERE bucket = ?',
    );
    this.#set = db.prepare(`
      INSERT INTO replication_progress (bucket, stream_created, revision) VALUES (?, ?, ?)
      ON CONFLICT (bucket) DO UPDATE SET stream_created = excluded.stream_created,
        revision = MAX(revision, excluded.revision)
        WHERE stream_created = excluded.stream_created
      `);
    // A different stream (bucket made anew) replaces the row outright.
    this.#replace = db.prepare(
      'INSERT OR REPLACE INTO replication_progress (bucket, stream_created, revision) VALUES (?, ?, ?)',
    );
  }

  get(bucket: string): BucketProgress | undefined {
    return this.#get.get(bucket) as BucketProgress | undefined;
  }

  /** Records `revision` of the bucket's stream `streamCreated` as applied; never moves backwards. */
  set(bucket: string, streamCreated: string, revision: number): void {
    const current = this.get(bucket);
    if (current && current.streamCreated !== streamCreated)
      this.#replace.run(bucket, streamCreated, revision);
    else this.#set.run(bucket, streamCreated, revision);
  }

  /** Where to resume `bucket`: the revision after the last applied, or 0 to read it all. */
  resumeAfter(bucket: string, streamCreated: string, lastSeq: number): number {
    const p = this.get(bucket);
    // Another stream, or one whose last revision is below ours (purged and made again): read all.
    if (!p || p.streamCreated !== streamCreated || p.revision > lastSeq) return 0;
    return p.revision;
  }
}
