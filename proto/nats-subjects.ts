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

/**
 * Inboxes: where replies land (JetStream publish acks, pull-consumer deliveries, KV watches,
 * command replies). The client's default `_INBOX.<random>` is shared by every connection of the
 * account, so an edge allowed `_INBOX.>` would read what JetStream delivers to the coordinator
 * (every other edge's telemetry) and could answer those deliveries with -NAK (issue 13, finding 2).
 * Each party therefore gets its own prefix, and the accounts file lets an edge subscribe below its
 * own only. Edge ids contain no dots (EDGE_ID_PATTERN), so `_INBOX.edge.<id>.>` never covers
 * another edge's inbox, and the second token keeps edges (`edge`) and coordinators
 * (`coordinator`) apart.
 */
export const INBOX_ROOT = '_INBOX';
/** One edge's inbox prefix: the nats.js `inboxPrefix` of its connection. */
export const edgeInboxPrefix = (edgeId: string): string => `${INBOX_ROOT}.edge.${edgeId}`;
/** The coordinators' inbox prefix (every replica; the client adds a random token per inbox). */
export const COORDINATOR_INBOX_PREFIX = `${INBOX_ROOT}.coordinator`;
/** Every inbox under a prefix: what its owner subscribes to. */
export const inboxSubjects = (prefix: string): string => `${prefix}.>`;
