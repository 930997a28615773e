// The public door to the calle.v1 contract: message codecs and types generated from
// proto/calle/v1/*.proto, and the gRPC service definitions built from the same files.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { calle } from './gen/calle.js';
import { FleetServiceDefinition, PolicyServiceDefinition } from './gen/services.js';

// 64-bit fields are plain numbers everywhere in calle (the codegen uses --force-number). Without
// this, protobufjs decodes them as Long objects whenever the `long` package happens to be
// installed, and the types would lie.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

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
export const PolicyClient = grpc.makeGenericClientConstructor(PolicyServiceDefinition, 'calle.v1.PolicyService');
