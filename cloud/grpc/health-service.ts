// The standard gRPC health service (grpc.health.v1.Health), so load balancers, Kubernetes probes
// and `grpc_health_probe` can ask the coordinator whether it serves. Built from the service's
// published .proto (github.com/grpc/grpc-proto, grpc/health/v1/health.proto) with protobufjs,
// which is already a dependency, instead of adding grpc-health-check.
//
// Service names are the fully-qualified gRPC ones ("calle.v1.FleetService"); "" is the server as
// a whole. Shutdown flips everything to NOT_SERVING first so that probes stop sending edges here
// while Watch streams are being ended.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const HEALTH_PROTO = `
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}`;

const root = protobuf.parse(HEALTH_PROTO, { keepCase: false }).root;
const Request = root.lookupType('grpc.health.v1.HealthCheckRequest');
const Response = root.lookupType('grpc.health.v1.HealthCheckResponse');

export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

export interface HealthCheckRequest {
  service: string;
}
export interface HealthCheckResponse {
  status: ServingStatus;
}

const codec = <T extends object>(type: protobuf.Type) => ({
  serialize: (value: T): Buffer => Buffer.from(type.encode(type.fromObject(value)).finish()),
  deserialize: (bytes: Buffer): T =>
    type.toObject(type.decode(bytes), { defaults: true, enums: Number }) as T,
});
const req = codec<HealthCheckRequest>(Request);
const res = codec<HealthCheckResponse>(Response);

export const HealthServiceDefinition = {
  check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
  },
  watch: {
    path: '/grpc.health.v1.Health/Watch',
    requestStream: false,
    responseStream: true,
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
  },
} satisfies grpc.ServiceDefinition;

/** A client for probes and tests. */
export const HealthClient = grpc.makeGenericClientConstructor(
  HealthServiceDefinition,
  'grpc.health.v1.Health',
);

export class HealthService {
  readonly #status = new Map<string, ServingStatus>();
  readonly #watchers = new Map<
    string,
    Set<grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>
  >();

  /** Marks `services` (and the server, "") as SERVING. */
  constructor(services: readonly string[]) {
    for (const name of ['', ...services]) this.#status.set(name, ServingStatus.SERVING);
  }

  set(service: string, status: ServingStatus): void {
    this.#status.set(service, status);
    for (const call of this.#watchers.get(service) ?? []) call.write({ status });
  }

  /** Every known service NOT_SERVING, then ends Watch streams (a graceful shutdown waits on them). */
  shutdown(): void {
    for (const name of this.#status.keys()) this.set(name, ServingStatus.NOT_SERVING);
    for (const calls of this.#watchers.values()) for (const call of calls) call.end();
    this.#watchers.clear();
  }

  readonly handlers: grpc.UntypedServiceImplementation = {
    check: (
      call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: grpc.sendUnaryData<HealthCheckResponse>,
    ) => {
      const status = this.#status.get(call.request.service);
      // The protocol's answer for a service this server does not know is NOT_FOUND, not a status.
      if (status === undefined)
        callback({
          code: grpc.status.NOT_FOUND,
          details: `service ${JSON.stringify(call.request.service)}: unknown`,
        });
      else callback(null, { status });
    },
    watch: (call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
      const service = call.request.service;
      // Watch answers an unknown service with SERVICE_UNKNOWN and keeps the stream (the protocol's rule).
      call.write({ status: this.#status.get(service) ?? ServingStatus.SERVICE_UNKNOWN });
      let set = this.#watchers.get(service);
      if (!set) this.#watchers.set(service, (set = new Set()));
      set.add(call);
      const remove = (): void => void this.#watchers.get(service)?.delete(call);
      call.on('cancelled', remove);
      call.on('close', remove);
    },
  };
}
