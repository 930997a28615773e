// The per-edge delivery figures as SQL columns (see cloud/store/sqlite/sqlite-stats.ts for why
// gaps is free to compute), in PostgreSQL's dialect.
export const pgStatsColumns = (t: string): string => `
  COALESCE(${t}.readings_received, 0) AS "readingsReceived",
  COALESCE(${t}.events_received, 0) AS "eventsReceived",
  COALESCE(${t}.duplicates, 0) AS "duplicates",
  COALESCE(${t}.highest_seq, 0) AS "highestSeq",
  COALESCE(${t}.highest_contiguous_seq, 0) AS "highestContiguousSeq",
  GREATEST(0, COALESCE(${t}.highest_seq - ${t}.readings_received - ${t}.events_received, 0)) AS "gaps"`;
