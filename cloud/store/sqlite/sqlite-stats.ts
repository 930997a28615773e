// The per-edge delivery figures as SQL columns, shared by the registry's overview and the ingest
// side's stats. Readings and events share one sequence counter per edge, so
// gaps = highest_seq - (readings + events stored): every seq 1..highest_seq is either stored or
// missing, which makes the gap count free instead of a scan. MAX(0, …) guards against an edge that
// (wrongly) used one seq for both a reading and an event. COALESCE covers edges with no stats row.
export const statsColumns = (t: string): string => `
  COALESCE(${t}.readings_received, 0) AS readingsReceived,
  COALESCE(${t}.events_received, 0) AS eventsReceived,
  COALESCE(${t}.duplicates, 0) AS duplicates,
  COALESCE(${t}.highest_seq, 0) AS highestSeq,
  COALESCE(${t}.highest_contiguous_seq, 0) AS highestContiguousSeq,
  MAX(0, COALESCE(${t}.highest_seq - ${t}.readings_received - ${t}.events_received, 0)) AS gaps`;
