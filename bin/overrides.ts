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
}

export function withEdgeOverrides(config: EdgeConfig, o: EdgeOverrides): EdgeConfig {
  if (o.coordinator !== undefined) parseHostPort('--coordinator', o.coordinator);
  return {
    ...config,
    ...(o.nats?.length ? { nats: { servers: o.nats } } : {}),
    ...(o.coordinator !== undefined ? { coordinator: { grpc: o.coordinator } } : {}),
    ...(o.store !== undefined ? { store: { ...config.store, path: resolve(o.store) } } : {}),
    ...(o.console !== undefined
      ? { console: { ...config.console, ...parseHostPort('--console', o.console) } }
      : {}),
  };
}
