// Test helper: HTTP/1.1 requests written byte for byte on a TCP socket. HTTP clients (fetch,
// undici, curl without --request-target) normalise the request target — they resolve "/./" and
// "..", re-encode characters, never send an absolute-form target — so they cannot send what an
// attacker sends. This sends the request line verbatim and reads back the status and body.
//
// Run as a script (`node --import tsx raw-http.ts`), it reads a JSON array of RawRequest from stdin
// and writes the JSON array of RawResponse to stdout: the route-guard test runs it inside a network
// namespace (netns-client.ts) to send from a non-loopback address.
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface RawRequest {
  readonly host: string;
  readonly port: number;
  readonly method: string;
  /** The request target exactly as it goes on the wire: "/%61pi/edges", "http://x/api/edges". */
  readonly target: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface RawResponse {
  /** 0 when no status line arrived (connection refused, reset or timed out). */
  readonly status: number;
  readonly body: string;
  /** Set when the exchange failed at the socket level. */
  readonly error?: string;
}

/** One request on its own connection (Connection: close); settles within `timeoutMs`. */
export async function sendRaw(request: RawRequest, timeoutMs = 3_000): Promise<RawResponse> {
  const headers: Record<string, string> = {
    host: `${request.host}:${request.port}`,
    connection: 'close',
    ...request.headers,
  };
  if (request.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(request.body));
  }
  const head =
    `${request.method} ${request.target} HTTP/1.1\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const socket = connect({ host: request.host, port: request.port });
    // A stream that never ends (an event stream) still gives its status line: stop after the timeout.
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('connect', () => socket.end(head + (request.body ?? '')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => (error = err.message));
    socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks), error)));
  });
}

function parseResponse(raw: Buffer, error: string | undefined): RawResponse {
  const text = raw.toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  const split = text.indexOf('\r\n\r\n');
  if (!status || split < 0) return { status: 0, body: text, ...(error ? { error } : {}) };
  const headerText = text.slice(0, split).toLowerCase();
  let body = raw.subarray(Buffer.byteLength(text.slice(0, split + 4), 'latin1'));
  if (/\r\ntransfer-encoding: *chunked/.test(headerText)) body = dechunk(body);
  return { status: Number(status[1]), body: body.toString('utf8') };
}

/** RFC 9112 §7.1 chunked body, as far as it arrived. */
function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Sends each request in turn, a few at a time. */
export async function sendAll(requests: readonly RawRequest[], parallel = 8): Promise<RawResponse[]> {
  const out: RawResponse[] = new Array<RawResponse>(requests.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const i = next++;
      out[i] = await sendRaw(requests[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, requests.length) }, worker));
  return out;
}

async function main(): Promise<void> {
  const input: Buffer[] = [];
  for await (const chunk of process.stdin) input.push(chunk as Buffer);
  const requests = JSON.parse(Buffer.concat(input).toString('utf8')) as RawRequest[];
  process.stdout.write(JSON.stringify(await sendAll(requests)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
