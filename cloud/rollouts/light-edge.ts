// A light edge for tests and the fleet benchmark: registers over gRPC, watches policies, answers
// each with an Ack (applied, or refused by a verdict the caller supplies) and reconnects with the
// last applied version when its Watch ends, as the real edge's coordinator link does. No outbox,
// no devices, no signature check: thousands of these fit in one process.
import * as grpc from '@grpc/grpc-js';
import { FleetClient, PolicyClient, type calle } from '../../proto/index.js';

export interface LightEdgeOptions {
  readonly target: string;
  readonly edgeId: string;
  readonly district?: string;
  readonly tags?: readonly string[];
  readonly credentials?: grpc.ChannelCredentials;
  /** Client options; the benchmark shares one channel between edges with the same options. */
  readonly channelOptions?: grpc.ChannelOptions;
  /** The edge's answer to a bundle; default: applied. */
  readonly verdict?: (bundle: calle.v1.PolicyBundle) => { applied: boolean; reason: string } | 'ignore';
  /** Deadline of each unary call. */
  readonly deadlineMs?: number;
  /** Delay before a Watch is reopened after it ends. */
  readonly retryMs?: number;
  /**
   * Clients shared with other light edges (the benchmark: thousands of edges over a few HTTP/2
   * connections instead of two channels each). Not closed by close().
   */
  readonly clients?: { readonly fleet: grpc.Client; readonly policy: grpc.Client };
}

export class LightEdge {
  readonly edgeId: string;
  /** Highest version applied (acked as applied). */
  applied = 0;
  /** True once the current Watch stream's headers arrived (the coordinator holds the stream). */
  watching = false;
  /** Every version received, in order. */
  readonly received: number[] = [];
  /** When each version arrived (performance.now()), for latency figures. */
  readonly receivedAt = new Map<number, number>();
  /** When each version's Ack was answered by the coordinator (performance.now()). */
  readonly ackedAt = new Map<number, number>();
  readonly #fleet: grpc.Client;
  readonly #policy: grpc.Client;
  readonly #options: LightEdgeOptions;
  #stream: grpc.ClientReadableStream<calle.v1.PolicyBundle> | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  // An ack the coordinator has not confirmed; re-sent when the Watch reopens (the stream resumes
  // after the applied version, so nothing else would tell the coordinator about it).
  #unconfirmed: { version: number; applied: boolean; reason: string } | undefined;

  private constructor(options: LightEdgeOptions) {
    this.#options = options;
    this.edgeId = options.edgeId;
    const creds = options.credentials ?? grpc.credentials.createInsecure();
    this.#fleet = options.clients?.fleet ?? new FleetClient(options.target, creds, options.channelOptions);
    this.#policy = options.clients?.policy ?? new PolicyClient(options.target, creds, options.channelOptions);
  }

  /** Registers (retrying until the coordinator answers) and opens the Watch. */
  static async start(options: LightEdgeOptions): Promise<LightEdge> {
    const edge = new LightEdge(options);
    await edge.register();
    edge.#watch();
    return edge;
  }

  async register(): Promise<void> {
    await this.#unary(this.#fleet, 'register', {
      edgeId: this.edgeId,
      district: this.#options.district ?? 'centro',
      tags: [...(this.#options.tags ?? [])],
      softwareVersion: 'light-edge',
    });
  }

  #watch(): void {
    if (this.#closed) return;
    const call = (
      this.#policy as unknown as { watch(r: object): grpc.ClientReadableStream<calle.v1.PolicyBundle> }
    ).watch({ edgeId: this.edgeId, lastAppliedVersion: this.applied });
    this.#stream = call;
    if (this.#unconfirmed) void this.#ack(this.#unconfirmed);
    call.on('metadata', () => {
      if (this.#stream === call) this.watching = true;
    });
    call.on('data', (bundle: calle.v1.PolicyBundle) => void this.#handle(bundle));
    const reopen = (): void => {
      if (this.#stream !== call || this.#closed) return;
      this.#stream = undefined;
      this.watching = false;
      this.#retry = setTimeout(() => this.#watch(), this.#options.retryMs ?? 200);
    };
    call.on('error', reopen);
    call.on('end', reopen);
  }

  async #handle(bundle: calle.v1.PolicyBundle): Promise<void> {
    const version = Number(bundle.version);
    this.received.push(version);
    this.receivedAt.set(version, performance.now());
    const verdict = this.#options.verdict?.(bundle) ?? { applied: true, reason: '' };
    if (verdict === 'ignore') return;
    // The edge refuses anything not above what it applied (policy-trust.ts does the same).
    const applied = verdict.applied && version > this.applied;
    if (applied) this.applied = version;
    await this.#ack({
      version,
      applied,
      reason: applied ? '' : verdict.reason || `version ${version} is not above ${this.applied}`,
    });
  }

  async #ack(ack: { version: number; applied: boolean; reason: string }): Promise<void> {
    this.#unconfirmed = ack;
    try {
      await this.#unary(this.#policy, 'ack', { edgeId: this.edgeId, ...ack });
      if (this.#unconfirmed === ack) this.#unconfirmed = undefined;
      this.ackedAt.set(ack.version, performance.now());
    } catch {
      // Kept in #unconfirmed; re-sent when the Watch reopens.
    }
  }

  async #unary(client: grpc.Client, method: string, request: object): Promise<unknown> {
    const fn = (client as unknown as Record<string, grpc.requestCallback<unknown> & CallableFunction>)[
      method
    ];
    const deadline = Date.now() + (this.#options.deadlineMs ?? 10_000);
    return new Promise((resolve, reject) => {
      (fn as (r: object, o: grpc.CallOptions, cb: (e: Error | null, v: unknown) => void) => void).call(
        client,
        request,
        { deadline },
        (err, value) => (err ? reject(err) : resolve(value)),
      );
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#stream?.cancel();
    if (this.#options.clients) return;
    this.#fleet.close();
    this.#policy.close();
  }
}
