// The edge's control-plane link to the coordinator over gRPC: register, heartbeat, and a policy
// Watch stream that resumes from the last applied version. Every call has a deadline; every
// failure is retried with jittered back-off; none of it ever blocks control.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { FleetClient, PolicyClient, type calle } from '../../proto/index.js';

export interface EdgeIdentity {
  readonly edgeId: string;
  readonly district: string;
  readonly tags: readonly string[];
  readonly softwareVersion: string;
}

/** What the link needs from the node: counters for heartbeats, and where policies go. */
export interface CoordinatorLinkHost {
  heartbeat(): Omit<calle.v1.IHeartbeatRequest, 'edgeId' | 'timeMs'>;
  policyVersion(): number;
  /** Applies (or refuses) a bundle; the verdict is acknowledged to the coordinator. */
  applyPolicy(bundle: calle.v1.PolicyBundle): { applied: boolean; reason?: string };
}

export interface CoordinatorLinkOptions {
  /** host:port of the coordinator's gRPC endpoint. */
  readonly address: string;
  readonly identity: EdgeIdentity;
  readonly host: CoordinatorLinkHost;
  readonly log: Logger;
  /** Deadline of each unary call; default 5 s. */
  readonly deadlineMs?: number;
  /** TLS towards the coordinator (edge/sync/grpc-credentials.ts); default insecure. */
  readonly credentials?: grpc.ChannelCredentials;
}

type Unary<Req, Res> = (
  req: Req,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => void;

export class CoordinatorLink {
  readonly #o: CoordinatorLinkOptions;
  readonly #log: Logger;
  readonly #fleet: grpc.Client;
  readonly #policy: grpc.Client;
  #stopped = false;
  #registered = false;
  #watching = false;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #watch: grpc.ClientReadableStream<calle.v1.PolicyBundle> | undefined;
  #backoffMs = 0;
  /** An ack the coordinator has not confirmed yet; re-sent after the next registration. */
  #unconfirmedAck: calle.v1.IPolicyAck | undefined;

  constructor(options: CoordinatorLinkOptions) {
    this.#o = options;
    this.#log = options.log;
    // Keepalive pings detect a dead carrier link on an idle Watch stream within a minute; the
    // coordinator permits pings at this rate (cloud/grpc/grpc-server.ts).
    const channelOptions: grpc.ChannelOptions = {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
    };
    // Insecure unless the node passes TLS credentials (channelCredentials in grpc-credentials.ts).
    const credentials = options.credentials ?? grpc.credentials.createInsecure();
    this.#fleet = new FleetClient(options.address, credentials, channelOptions);
    this.#policy = new PolicyClient(options.address, credentials, channelOptions);
  }

  /** True while the edge is registered and its policy stream is open. */
  get connected(): boolean {
    return this.#registered && this.#watching;
  }

  start(): void {
    this.#register();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#heartbeatTimer);
    clearTimeout(this.#retryTimer);
    this.#watch?.cancel();
    this.#fleet.close();
    this.#policy.close();
  }

  async #call<Req, Res>(client: grpc.Client, method: string, req: Req): Promise<Res> {
    const fn = (client as unknown as Record<string, Unary<Req, Res>>)[method]!.bind(client);
    return new Promise((resolve, reject) => {
      fn(req, { deadline: Date.now() + (this.#o.deadlineMs ?? 5_000) }, (err, res) =>
        err || !res ? reject(err ?? new Error('empty response')) : resolve(res),
      );
    });
  }

  #retry(what: string, err: unknown, again: () => void): void {
    if (this.#stopped) return;
    this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, 1_000), 30_000);
    const delay = this.#backoffMs / 2 + (Math.random() * this.#backoffMs) / 2;
    const e = err as Partial<grpc.ServiceError>;
    this.#log.warn(
      { code: e.code, details: e.details ?? e.message, retryInMs: Math.round(delay) },
      `coordinator: ${what} failed`,
    );
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(again, delay);
  }

  #register(): void {
    if (this.#stopped) return;
    const { edgeId, district, tags, softwareVersion } = this.#o.identity;
    this.#call<calle.v1.IRegisterRequest, calle.v1.RegisterResponse>(this.#fleet, 'register', {
      edgeId,
      district,
      tags: [...tags],
      softwareVersion,
    }).then(
      (res) => {
        this.#registered = true;
        this.#backoffMs = 0;
        const skewS = Math.abs(Number(res.serverTimeMs) - Date.now()) / 1000;
        this.#log.info({ skewS }, 'coordinator: registered');
        if (skewS > 30)
          this.#log.warn({ skewS }, 'coordinator: clock skew over 30 s; schedules and expiry depend on it');
        this.#scheduleHeartbeat(Math.max(1, res.heartbeatIntervalS || 10) * 1000);
        if (this.#unconfirmedAck) this.#sendAck(this.#unconfirmedAck);
        this.#openWatch();
      },
      (err) => this.#retry('register', err, () => this.#register()),
    );
  }

  #scheduleHeartbeat(intervalMs: number): void {
    clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = setTimeout(() => {
      const req: calle.v1.IHeartbeatRequest = {
        ...this.#o.host.heartbeat(),
        edgeId: this.#o.identity.edgeId,
        timeMs: Date.now(),
      };
      this.#call<calle.v1.IHeartbeatRequest, calle.v1.HeartbeatResponse>(this.#fleet, 'heartbeat', req).then(
        () => this.#scheduleHeartbeat(intervalMs),
        (err: grpc.ServiceError) => {
          if (err.code === grpc.status.NOT_FOUND) {
            // The coordinator lost or never had our registration: introduce ourselves again.
            this.#registered = false;
            this.#register();
          } else {
            this.#log.warn({ code: err.code, details: err.details }, 'coordinator: heartbeat failed');
            this.#scheduleHeartbeat(intervalMs);
          }
        },
      );
    }, intervalMs);
  }

  #openWatch(): void {
    if (this.#stopped || this.#watch) return;
    const lastAppliedVersion = this.#o.host.policyVersion();
    const stream = (
      this.#policy as unknown as {
        watch(req: calle.v1.IWatchRequest): grpc.ClientReadableStream<calle.v1.PolicyBundle>;
      }
    ).watch({ edgeId: this.#o.identity.edgeId, lastAppliedVersion });
    this.#watch = stream;
    stream.on('metadata', () => {
      this.#watching = true;
    });
    stream.on('data', (bundle: calle.v1.PolicyBundle) => {
      this.#watching = true;
      this.#onPolicy(bundle);
    });
    // 'error' carries every abnormal end (coordinator gone, cancelled); 'end' a normal one.
    const reopen = (err?: unknown): void => {
      if (this.#watch !== stream) return;
      this.#watch = undefined;
      this.#watching = false;
      if (this.#stopped) return;
      this.#retry('policy watch', err ?? new Error('stream ended'), () => {
        // Re-register first: the coordinator may have restarted and forgotten us.
        this.#registered = false;
        this.#register();
      });
    };
    stream.on('error', reopen);
    stream.on('end', () => reopen());
  }

  #onPolicy(bundle: calle.v1.PolicyBundle): void {
    const version = Number(bundle.version);
    let verdict: { applied: boolean; reason?: string };
    try {
      verdict = this.#o.host.applyPolicy(bundle);
    } catch (err) {
      verdict = { applied: false, reason: `internal error: ${(err as Error).message}` };
    }
    this.#log.info({ version, ...verdict }, verdict.applied ? 'policy: applied' : 'policy: refused');
    this.#sendAck({
      edgeId: this.#o.identity.edgeId,
      version,
      applied: verdict.applied,
      reason: verdict.reason ?? '',
    });
  }

  #sendAck(ack: calle.v1.IPolicyAck): void {
    // Until confirmed, the ack is kept: the Watch stream resumes after the applied version, so
    // the coordinator would otherwise never learn of an apply whose ack was lost on the way.
    this.#unconfirmedAck = ack;
    this.#call<calle.v1.IPolicyAck, calle.v1.PolicyAckResponse>(this.#policy, 'ack', ack).then(
      () => {
        if (this.#unconfirmedAck === ack) this.#unconfirmedAck = undefined;
      },
      (err: grpc.ServiceError) =>
        this.#log.warn({ code: err.code, version: ack.version }, 'policy: ack failed; will re-send'),
    );
  }
}
