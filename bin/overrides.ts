// Command-line flags that override an edge configuration file, validated like the file is.
import { resolve } from 'node:path';
import { ConfigError } from '../edge/config/config-error.js';
import type { EdgeConfig } from '../edge/config/edge-config.js';

/** Parses "host:port" (port 0 = any free port), naming the flag in the error. */
export function parseHostPort(flag: string, value: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m?.[1] || port > 65535)
    throw new ConfigError('command line', [{ field: flag, reason: `'${value}' is not HOST:PORT` }]);
  return { host: m[1], port };
}

export interface EdgeOverrides {
  nats?: string[] | undefined;
  coordinator?: string | undefined;
  store?: string | undefined;
  console?: string | undefined;
  'enrolment-token'?: string | undefined;
  'nats-seed'?: string | undefined;
  'grpc-ca'?: string | undefined;
  'grpc-cert'?: string | undefined;
  'grpc-key'?: string | undefined;
}

export function withEdgeOverrides(config: EdgeConfig, o: EdgeOverrides): EdgeConfig {
  if (o.coordinator !== undefined) parseHostPort('--coordinator', o.coordinator);
  const problems: { field: string; reason: string }[] = [];
  if ((o['grpc-cert'] === undefined) !== (o['grpc-key'] === undefined))
    problems.push({ field: '--grpc-cert/--grpc-key', reason: 'go together (mutual TLS needs both)' });
  const nats = o.nats?.length ? { ...config.nats, servers: o.nats } : config.nats;
  if (o['nats-seed'] !== undefined && !nats)
    problems.push({ field: '--nats-seed', reason: 'needs NATS servers (nats.servers or --nats)' });
  const coordinator =
    o.coordinator !== undefined ? { ...config.coordinator, grpc: o.coordinator } : config.coordinator;
  const tlsFlags = o['grpc-ca'] !== undefined || o['grpc-cert'] !== undefined;
  if ((tlsFlags || o['enrolment-token'] !== undefined) && !coordinator)
    problems.push({
      field: '--grpc-ca/--enrolment-token',
      reason: 'need a coordinator (coordinator.grpc or --coordinator)',
    });
  const ca = o['grpc-ca'] !== undefined ? resolve(o['grpc-ca']) : coordinator?.tls?.ca;
  if (o['grpc-cert'] !== undefined && ca === undefined)
    problems.push({
      field: '--grpc-cert',
      reason: "needs the CA that issued the coordinator's certificate (--grpc-ca)",
    });
  if (problems.length > 0) throw new ConfigError('command line', problems);
  const tls =
    ca === undefined
      ? undefined
      : {
          ...coordinator?.tls,
          ca,
          ...(o['grpc-cert'] !== undefined && o['grpc-key'] !== undefined
            ? { cert: resolve(o['grpc-cert']), key: resolve(o['grpc-key']) }
            : {}),
        };
  return {
    ...config,
    ...(nats
      ? {
          nats: {
            ...nats,
            ...(o['nats-seed'] !== undefined ? { nkeySeedFile: resolve(o['nats-seed']) } : {}),
          },
        }
      : {}),
    ...(coordinator
      ? {
          coordinator: {
            ...coordinator,
            ...(o['enrolment-token'] !== undefined ? { enrolmentToken: o['enrolment-token'] } : {}),
            ...(tls ? { tls } : {}),
          },
        }
      : {}),
    ...(o.store !== undefined ? { store: { ...config.store, path: resolve(o.store) } } : {}),
    ...(o.console !== undefined
      ? { console: { ...config.console, ...parseHostPort('--console', o.console) } }
      : {}),
  };
}
