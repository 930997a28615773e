// A TCP proxy for fault tests, standing between an edge and its broker the way a street cabinet's
// 4G/5G modem does. Modes:
//   pass        bytes flow both ways.
//   cut         every connection is reset and new ones are refused (a modem that lost its carrier
//               and tells the host so).
//   blackhole   connections stay open but bytes vanish both ways, and new connections are
//               accepted and swallowed (a carrier NAT that dropped the flow without a word; only
//               the client's own pings can find out).
//   drop-replies bytes from the client reach the server, nothing comes back: a message is stored
//               by the broker but its ack never arrives, the case that makes an edge re-send.
import { createServer, createConnection, type AddressInfo, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'cut' | 'blackhole' | 'drop-replies';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
}

export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  #mode: ProxyMode = 'pass';
  /** Bytes forwarded client → server and server → client, for assertions that traffic flowed. */
  bytesUp = 0;
  bytesDown = 0;

  private constructor(
    readonly upstreamHost: string,
    readonly upstreamPort: number,
  ) {
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Listens on 127.0.0.1 on a free port and forwards to host:port. */
  static async start(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(upstreamHost, upstreamPort);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Open client connections. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Changes the mode; `cut` resets every open connection at once. */
  set(mode: ProxyMode): void {
    this.#mode = mode;
    if (mode === 'cut') for (const pair of [...this.#pairs]) this.#drop(pair);
  }

  #accept(client: Socket): void {
    if (this.#mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: this.upstreamHost, port: this.upstreamPort });
    const pair: Pair = { client, upstream };
    this.#pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      if (this.#mode === 'pass' || this.#mode === 'drop-replies') {
        this.bytesUp += chunk.length;
        upstream.write(chunk);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.#mode === 'pass') {
        this.bytesDown += chunk.length;
        client.write(chunk);
      }
    });
    const close = (): void => this.#drop(pair);
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  }

  #drop(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    // A reset, not a FIN: the peer sees the connection die the way a lost carrier looks.
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (!pair.upstream.destroyed) pair.upstream.resetAndDestroy();
  }

  async close(): Promise<void> {
    for (const pair of [...this.#pairs]) this.#drop(pair);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
