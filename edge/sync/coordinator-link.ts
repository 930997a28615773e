// The edge's control-plane link to the coordinator over gRPC: register, heartbeat, and a policy
// Watch stream that resumes from the last applied version. Every call has a deadline; every
// failure is retried with jittered back-off; none of it ever blocks control.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { FleetClient, PolicyClient, v1, type calle } from '../../proto/index.js';
import type { EdgeKey } from '../../common/signing/edge-identity.js';
import { AUTH_METADATA_KEY, signCall, type EdgeRpc } from '../../common/signing/call-proof.js';
import { signRegister } from '../../common/signing/register-proof.js';

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
  /**
   * Expiry of the applied policy (common/signing/policy-expiry.ts), 0 with none: the Watch request
   * carries it so that the coordinator starts the stream with a refresh of that version if it has one.
   */
  policyExpiresMs?(): number;
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
  /**
   * The edge's identity key (edge/identity): its public half and a signature go with every
   * Register. Without it the edge can only join a coordinator with open enrolment.
   */
  readonly key?: EdgeKey;
  /** One-time enrolment token, sent until the coordinator has accepted this edge once. */
  readonly enrolmentToken?: string;
}

/** Longest wait between Register attempts while pending approval, and after an identity refusal. */
const PENDING_RETRY_MAX_MS = 60_000;
const REFUSED_RETRY_MAX_MS = 5 * 60_000;

type Unary<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
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
  /** Accepted once in this process: the token has done its job and is not sent again. */
  #enrolled = false;
  /** The last enrolment answer logged, so polling while pending is one log line, not hundreds. */
  #lastState: string | undefined;
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

  /**
   * Asks for the current policy again: re-opens the Watch stream, which the coordinator starts with
   * a refresh of the applied version when it holds one signed with a later expiry (and with any
   * version the edge missed). Called while the applied policy has expired (policy-freshness.ts).
   * Not registered or not watching: nothing to do, the registration loop opens the stream anyway.
   */
  requestPolicy(): void {
    const stream = this.#watch;
    if (this.#stopped || !this.#registered || !stream) return;
    this.#log.info('coordinator: asking for the current policy again (re-opening the policy watch)');
    // Detached first, so its cancellation is not taken for a failure (reopen ignores it).
    this.#watch = undefined;
    this.#watching = false;
    stream.cancel();
    this.#openWatch();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#heartbeatTimer);
    clearTimeout(this.#retryTimer);
    this.#watch?.cancel();
    this.#fleet.close();
    this.#policy.close();
  }

  /**
   * Metadata proving this edge makes the call (common/signing/call-proof.ts); empty without a key,
   * which only a coordinator with open enrolment accepts.
   */
  #auth(rpc: EdgeRpc): grpc.Metadata {
    const metadata = new grpc.Metadata();
    const key = this.#o.key;
    if (key)
      metadata.set(AUTH_METADATA_KEY, signCall(key.privateKey, rpc, this.#o.identity.edgeId, Date.now()));
    return metadata;
  }

  async #call<Req, Res>(
    client: grpc.Client,
    method: string,
    req: Req,
    metadata = new grpc.Metadata(),
  ): Promise<Res> {
    const fn = (client as unknown as Record<string, Unary<Req, Res>>)[method]!.bind(client);
    return new Promise((resolve, reject) => {
      fn(req, metadata, { deadline: Date.now() + (this.#o.deadlineMs ?? 5_000) }, (err, res) =>
        err || !res ? reject(err ?? new Error('empty response')) : resolve(res),
      );
    });
  }

  #retry(what: string, err: unknown, again: () => void, maxMs = 30_000, quiet = false): void {
    if (this.#stopped) return;
    this.#backoffMs = Math.min(Math.max(this.#backoffMs * 2, 1_000), maxMs);
    const delay = this.#backoffMs / 2 + (Math.random() * this.#backoffMs) / 2;
    const e = err as Partial<grpc.ServiceError>;
    if (!quiet)
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
    const enrolmentToken = this.#o.enrolmentToken && !this.#enrolled ? this.#o.enrolmentToken : '';
    const req: calle.v1.IRegisterRequest = {
      edgeId,
      district,
      tags: [...tags],
      softwareVersion,
      ...(enrolmentToken ? { enrolmentToken } : {}),
    };
    const key = this.#o.key;
    if (key) {
      const timeMs = Date.now();
      req.publicKey = key.publicKey;
      req.timeMs = timeMs;
      // Over every field the coordinator stores (common/signing/register-proof.ts).
      req.signature = signRegister(key.privateKey, {
        edgeId,
        district,
        tags: [...tags],
        softwareVersion,
        publicKey: key.publicKey,
        enrolmentToken,
        timeMs,
      });
    }
    this.#call<calle.v1.IRegisterRequest, calle.v1.RegisterResponse>(this.#fleet, 'register', req).then(
      (res) => {
        if (!res.accepted) {
          // Pending approval (or an older coordinator's plain refusal): ask again, slowly.
          const reason = res.reason || 'not accepted';
          if (this.#lastState !== reason)
            this.#log.info(
              { state: v1.EdgeState[res.state], reason, keyId: key?.keyId },
              `coordinator: ${reason}`,
            );
          this.#lastState = reason;
          this.#retry('register', undefined, () => this.#register(), PENDING_RETRY_MAX_MS, true);
          return;
        }
        this.#enrolled = true;
        this.#lastState = undefined;
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
      (err: grpc.ServiceError) => {
        // Refused for who we are (wrong key, used token, revoked): only an operator can fix that,
        // so say it loudly, once per reason, and ask again only every few minutes.
        if (err.code === grpc.status.PERMISSION_DENIED) {
          if (this.#lastState !== err.details)
            this.#log.error({ details: err.details, keyId: key?.keyId }, 'coordinator: registration refused');
          this.#lastState = err.details;
          this.#retry('register', err, () => this.#register(), REFUSED_RETRY_MAX_MS, true);
          return;
        }
        this.#retry('register', err, () => this.#register());
      },
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
      this.#call<calle.v1.IHeartbeatRequest, calle.v1.HeartbeatResponse>(
        this.#fleet,
        'heartbeat',
        req,
        this.#auth('Heartbeat'),
      ).then(
        () => this.#scheduleHeartbeat(intervalMs),
        (err: grpc.ServiceError) => {
          if (
            err.code === grpc.status.NOT_FOUND ||
            err.code === grpc.status.PERMISSION_DENIED ||
            err.code === grpc.status.FAILED_PRECONDITION
          ) {
            // The coordinator lost or never had our registration, or an operator changed our
            // standing (revoked, re-enrolment pending): introduce ourselves again.
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
    const appliedExpiresMs = this.#o.host.policyExpiresMs?.() ?? 0;
    const stream = (
      this.#policy as unknown as {
        watch(
          req: calle.v1.IWatchRequest,
          metadata: grpc.Metadata,
        ): grpc.ClientReadableStream<calle.v1.PolicyBundle>;
      }
    ).watch({ edgeId: this.#o.identity.edgeId, lastAppliedVersion, appliedExpiresMs }, this.#auth('Watch'));
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
    this.#call<calle.v1.IPolicyAck, calle.v1.PolicyAckResponse>(
      this.#policy,
      'ack',
      ack,
      this.#auth('Ack'),
    ).then(
      () => {
        if (this.#unconfirmedAck === ack) this.#unconfirmedAck = undefined;
      },
      (err: grpc.ServiceError) =>
        this.#log.warn({ code: err.code, version: ack.version }, 'policy: ack failed; will re-send'),
    );
  }
}
