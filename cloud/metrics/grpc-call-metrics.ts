// gRPC calls by service, method and status code, counted by wrapping the handler objects before
// they are added to the server (grpc-js server interceptors exist, but wrapping keeps the hook in
// one visible place and needs no grpc-js version check). Names follow go-grpc-prometheus, which
// stock Grafana gRPC dashboards expect: grpc_server_started_total and grpc_server_handled_total.
import * as grpc from '@grpc/grpc-js';
import type { Counter, Registry } from '../../common/metrics/prometheus-registry.js';

export interface GrpcCallMetrics {
  readonly started: Counter;
  readonly handled: Counter;
}

export function registerGrpcCallMetrics(registry: Registry): GrpcCallMetrics {
  return {
    started: registry.counter('grpc_server_started_total', 'RPCs started on the server.'),
    handled: registry.counter(
      'grpc_server_handled_total',
      'RPCs completed on the server, by status code (streams: when they end).',
    ),
  };
}

const codeName = (code: number | undefined): string =>
  grpc.status[code ?? grpc.status.UNKNOWN] ?? String(code);

type AnyHandler = (call: unknown, callback?: unknown) => unknown;

/**
 * Returns `handlers` with every method counted. Unary and client-streaming calls are counted when
 * their callback runs (its error's code, or OK); server streams when the call finishes (OK) or is
 * cancelled by the client (CANCELLED) — an error a stream handler emits ends as 'error' first.
 */
export function instrumentHandlers<H extends object>(
  service: string,
  definition: grpc.ServiceDefinition,
  handlers: H,
  metrics: GrpcCallMetrics,
): H {
  const wrapped: Record<string, unknown> = { ...(handlers as Record<string, unknown>) };
  for (const [name, method] of Object.entries(definition)) {
    const original = (handlers as Record<string, unknown>)[name];
    if (typeof original !== 'function') continue;
    const handler = original as AnyHandler;
    // The proto's method name ("Register"), as go-grpc-prometheus labels it, not the JS key.
    const labels = { grpc_service: service, grpc_method: method.path.split('/').pop() ?? name };
    const done = (code: string): void => metrics.handled.inc({ ...labels, grpc_code: code });
    if (!method.responseStream) {
      wrapped[name] = (
        call: unknown,
        callback: (err: grpc.ServiceError | null, ...rest: unknown[]) => void,
      ) => {
        metrics.started.inc(labels);
        return handler.call(handlers, call, (err: grpc.ServiceError | null, ...rest: unknown[]) => {
          done(err ? codeName(err.code) : 'OK');
          callback(err, ...rest);
        });
      };
    } else {
      wrapped[name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        metrics.started.inc(labels);
        let ended = false;
        const end = (code: string): void => {
          if (ended) return;
          ended = true;
          done(code);
        };
        call.once('finish', () => end('OK'));
        call.once('cancelled', () => end('CANCELLED'));
        call.once('error', (err: grpc.ServiceError) => end(codeName(err.code)));
        return handler.call(handlers, call);
      };
    }
  }
  return wrapped as H;
}
