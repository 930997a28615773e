// NATS names shared by the edge and the coordinator: part of the contract, like the .proto files.
// Payloads on these subjects are calle.v1 messages in protobuf binary encoding.

/** JetStream stream that holds telemetry from every edge. */
export const TELEMETRY_STREAM = 'CALLE_TELEMETRY';
/** JetStream stream that holds events and alarms from every edge. */
export const EVENTS_STREAM = 'CALLE_EVENTS';

/** Subject of one edge's telemetry batches (calle.v1.TelemetryBatch). */
export const telemetrySubject = (edgeId: string): string => `calle.telemetry.${edgeId}`;
/** Subject of one edge's events (calle.v1.Event). */
export const eventSubject = (edgeId: string): string => `calle.events.${edgeId}`;

/**
 * Subject of one command type for one edge (request/reply; calle.v1.SignedCommand, answered with
 * calle.v1.CommandReply). The edge subscribes to its own `calle.cmd.<id>.>` only, and the hub lets
 * nobody but the coordinator publish there (deploy/nats/accounts-file.ts).
 */
export const commandSubject = (edgeId: string, type: string): string => `calle.cmd.${edgeId}.${type}`;
/** Every command subject of one edge: what the edge subscribes to. */
export const commandSubjects = (edgeId: string): string => `calle.cmd.${edgeId}.>`;

/**
 * Message id for JetStream de-duplication: the edge id and the first sequence number the message
 * carries. A re-sent outbox row always gets the same id, because the row's content never changes.
 */
export const messageId = (edgeId: string, firstSeq: number): string => `${edgeId}:${firstSeq}`;

/**
 * Edge ids travel in subjects, so they are restricted to characters that are safe there
 * (no dots, wildcards or spaces).
 */
export const EDGE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
