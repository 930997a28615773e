// The coordinator's gRPC listener: one grpc-js Server carrying FleetService and PolicyService.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isLoopbackHost } from '../http/policy-api.js';
import { HealthService, HealthServiceDefinition } from './health-service.js';
import { serverCredentials, type GrpcTlsFiles } from './grpc-tls.js';
import {
  FleetServiceDefinition,
  PolicyServiceDefinition,
  type FleetServiceHandlers,
  type PolicyServiceHandlers,
} from '../../proto/index.js';

export interface GrpcServerOptions {
  readonly host: string;
  /** 0 lets the OS choose a free port; the bound port is returned. */
  readonly port: number;
  readonly fleet: FleetServiceHandlers;
  readonly policy: PolicyServiceHandlers;
  readonly log: Logger;
  /** TLS (mutual with a client CA); insecure without it. */
  readonly tls?: GrpcTlsFiles;
}

export interface RunningGrpcServer {
  readonly port: number;
  /** grpc.health.v1: every service SERVING until close(). */
  readonly health: HealthService;
  /**
   * Stops accepting calls and waits up to `graceMs` for open ones to finish, then cancels what is
   * left. Long-lived streams (Watch) should be ended before calling this.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Keepalive, explicit rather than grpc-js defaults (which never ping from the server). Edges sit on
 * 4G/5G carrier networks whose NAT tables drop idle flows after a few minutes, and a cabinet that
 * loses power never sends a FIN: without pings, a Watch stream to a dead edge would hold its
 * listener forever. A ping every 30 s keeps NAT entries alive and finds a dead peer within ~40 s.
 */
const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.keepalive_time_ms': 30_000,
  // Time to wait for the ping's answer before closing the connection: generous for a congested
  // cellular uplink, short enough to free a dead edge's stream promptly.
  'grpc.keepalive_timeout_ms': 10_000,
  // grpc-js servers ping every connection, with or without open calls, which is what idle Watch
  // streams need (keepalive_permit_without_calls is a client-side option and is not set here).
  // No max_connection_age: it would cut every Watch periodically. Rebalancing across replicas is a
  // later issue; edges already resume cleanly when cut.
  // Policies and heartbeats are small; 4 MiB (the default) is far more than any bundle needs, and
  // saying it here makes the limit a decision rather than an accident.
  'grpc.max_receive_message_length': 4 * 1024 * 1024,
};

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { host, port, fleet, policy, log } = options;
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(FleetServiceDefinition, fleet);
  server.addService(PolicyServiceDefinition, policy);
  const health = new HealthService(['calle.v1.FleetService', 'calle.v1.PolicyService']);
  server.addService(HealthServiceDefinition, health.handlers);

  // Without TLS the listener belongs on loopback, a private network or behind a TLS-terminating
  // proxy; anything else gets a warning at every start.
  const credentials = serverCredentials(options.tls);
  if (!options.tls && !isLoopbackHost(host))
    log.warn({ host }, 'gRPC without TLS on a non-loopback address: edges and policies travel in clear');
  // IPv6 literals need brackets in a gRPC target ("[::1]:0").
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => {
      if (err) {
        reject(err);
        return;
      }
      resolve(bound);
    });
  });
  log.info(
    {
      address: `${host}:${boundPort}`,
      tls: options.tls ? (options.tls.clientCaFile ? 'mutual' : 'server') : 'none',
    },
    'gRPC listening',
  );

  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    health,
    async close(graceMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        health.shutdown();
        // tryShutdown waits for every open call; a stuck client must not hold shutdown hostage.
        const timer = setTimeout(() => {
          log.warn({ graceMs }, 'gRPC calls still open after the grace period; forcing shutdown');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown((err) => {
          clearTimeout(timer);
          if (err) {
            log.warn({ err }, 'gRPC graceful shutdown failed; forcing');
            server.forceShutdown();
          }
          resolve();
        });
      });
      return closing;
    },
  };
}
