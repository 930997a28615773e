// The public door to the calle.v1 contract: message codecs and types generated from
// proto/calle/v1/*.proto, and the gRPC service definitions built from the same files.
import * as grpc from '@grpc/grpc-js';
import { calle } from './gen/calle.js';
import { FleetServiceDefinition, PolicyServiceDefinition } from './gen/services.js';

// 64-bit fields are plain numbers everywhere in calle: the codegen uses --force-number and makes
// the protobufjs runtime agree inside gen/calle.js itself, before any default value is built.
export const v1 = calle.v1;
export type { calle };
export * from './gen/services.js';

/** Encodes a message to bytes with its generated codec. */
export function encodeMessage<T>(codec: { encode(m: T): { finish(): Uint8Array } }, message: T): Uint8Array {
  return codec.encode(message).finish();
}

/** A gRPC client class for calle.v1.FleetService. */
export const FleetClient = grpc.makeGenericClientConstructor(FleetServiceDefinition, 'calle.v1.FleetService');
/** A gRPC client class for calle.v1.PolicyService. */
export const PolicyClient = grpc.makeGenericClientConstructor(
  PolicyServiceDefinition,
  'calle.v1.PolicyService',
);
