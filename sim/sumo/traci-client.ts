// calle's own TraCI client (REFERENCE §1): one TCP connection to a SUMO started with
// --remote-port. Requests are pipelined: a batch of commands goes out as ONE message and SUMO
// answers with one message holding a status (and, for a get, a result) per command, so reading
// every detector of an intersection costs one round trip, not one per variable.
//
// One batch is in flight at a time (TraCI has no request ids: replies are matched by order).
// A failed command (status 0xFF / 0x01) rejects its batch with SUMO's text; the connection stays
// usable because the reply message was consumed whole.
import { connect, type Socket } from 'node:net';
import { CMD, DET_VAR, DOMAIN, RESULT_OFFSET, SIM_VAR, TL_VAR } from './traci-constants.js';
import {
  encodeCommand,
  encodeMessage,
  MessageSplitter,
  readCommandHeader,
  readStatus,
  STATUS,
} from './traci-framing.js';
import { ByteReader, ByteWriter, TYPE, type TraciValue } from './traci-values.js';

// Measured on SUMO 1.15: in a message [step, get], the get is answered first, with the value
// from BEFORE the step, and the step's status comes last. A step is therefore only allowed as
// the last command of a batch; reads after a step need the next message (or subscriptions).
const STEP_LAST =
  'TraCI: a simulation step must be the last command of a batch (SUMO answers the commands after it before stepping)';

export class TraciError extends Error {
  readonly commandId: number;
  constructor(message: string, commandId: number) {
    super(message);
    this.name = 'TraciError';
    this.commandId = commandId;
  }
}

/** What a command's reply holds after its status. */
type Expect = 'status' | 'result' | 'step';

export interface TraciRequest {
  readonly id: number;
  readonly content: Uint8Array;
  readonly expect: Expect;
}

/** One parsed reply per request: a get's value, a step's subscription count, or undefined. */
export type TraciReply = TraciValue | undefined;

/** A get-variable request: [var][object id]. */
export function getRequest(domainGet: number, variable: number, objectId: string): TraciRequest {
  return {
    id: domainGet,
    content: new ByteWriter().ubyte(variable).string(objectId).toBuffer(),
    expect: 'result',
  };
}

/** A set-variable request: [var][object id][typed value]. */
export function setRequest(
  domainSet: number,
  variable: number,
  objectId: string,
  typedValue: Buffer,
): TraciRequest {
  return {
    id: domainSet,
    content: new ByteWriter().ubyte(variable).string(objectId).bytes(typedValue).toBuffer(),
    expect: 'status',
  };
}

export const typedString = (s: string): Buffer => new ByteWriter().ubyte(TYPE.string).string(s).toBuffer();

export class TraciClient {
  readonly #socket: Socket;
  readonly #splitter = new MessageSplitter();
  #waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #closedError: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = this.#splitter.push(chunk);
      } catch (err) {
        this.#fail(err as Error);
        socket.destroy();
        return;
      }
      for (const m of messages) {
        const w = this.#waiting;
        this.#waiting = undefined;
        if (w) w.resolve(m);
      }
    });
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('TraCI: connection closed by SUMO')));
  }

  /** Connects, retrying while SUMO is still starting (ECONNREFUSED) until `timeoutMs`. */
  static async connect(port: number, opts: { host?: string; timeoutMs?: number } = {}): Promise<TraciClient> {
    const host = opts.host ?? '127.0.0.1';
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect({ host, port });
          s.once('connect', () => {
            s.off('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
        return new TraciClient(socket);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ECONNREFUSED' || Date.now() > deadline)
          throw new Error(`TraCI: cannot connect to ${host}:${port}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  #fail(err: Error): void {
    this.#closedError ??= err;
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.reject(err);
  }

  /** Sends the requests as one message and parses the reply; serialised with other batches. */
  async batch(requests: readonly TraciRequest[]): Promise<TraciReply[]> {
    const step = requests.findIndex((q) => q.expect === 'step');
    if (step >= 0 && step !== requests.length - 1) throw new RangeError(STEP_LAST);
    const run = this.#chain.then(async () => this.#exchange(requests));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #exchange(requests: readonly TraciRequest[]): Promise<TraciReply[]> {
    if (this.#closedError) throw this.#closedError;
    const reply = new Promise<Buffer>((resolve, reject) => (this.#waiting = { resolve, reject }));
    this.#socket.write(encodeMessage(requests.map((q) => encodeCommand(q.id, q.content))));
    return parseReply(await reply, requests);
  }

  async getVersion(): Promise<{ apiVersion: number; identifier: string }> {
    const [v] = await this.batch([{ id: CMD.getVersion, content: new Uint8Array(0), expect: 'result' }]);
    const [apiVersion, identifier] = v as [number, string];
    return { apiVersion, identifier };
  }

  /** The client's place among several (--num-clients); must be the first command of each. */
  async setOrder(order: number): Promise<void> {
    await this.batch([
      { id: CMD.setOrder, content: new ByteWriter().int(order).toBuffer(), expect: 'status' },
    ]);
  }

  /** Advances to `targetS` (0: one step). Returns the number of subscription results (unused). */
  async simulationStep(targetS = 0): Promise<void> {
    await this.batch([
      { id: CMD.simulationStep, content: new ByteWriter().double(targetS).toBuffer(), expect: 'step' },
    ]);
  }

  async get(domainGet: number, variable: number, objectId: string): Promise<TraciValue> {
    const [v] = await this.batch([getRequest(domainGet, variable, objectId)]);
    return v!;
  }

  async time(): Promise<number> {
    return (await this.get(DOMAIN.simulation.get, SIM_VAR.time, '')) as number;
  }

  async tlState(tlId: string): Promise<string> {
    return (await this.get(DOMAIN.trafficLight.get, TL_VAR.state, tlId)) as string;
  }

  async setTlState(tlId: string, state: string): Promise<void> {
    await this.batch([setRequest(DOMAIN.trafficLight.set, TL_VAR.state, tlId, typedString(state))]);
  }

  async tlProgram(tlId: string): Promise<string> {
    return (await this.get(DOMAIN.trafficLight.get, TL_VAR.currentProgram, tlId)) as string;
  }

  async setTlProgram(tlId: string, programId: string): Promise<void> {
    await this.batch([setRequest(DOMAIN.trafficLight.set, TL_VAR.program, tlId, typedString(programId))]);
  }

  /**
   * The links per state-string index, each [incoming lane, outgoing lane, internal via lane].
   * Wire form: compound [int signals] then per signal [int n] and n string lists.
   */
  async tlControlledLinks(tlId: string): Promise<string[][][]> {
    const v = await this.get(DOMAIN.trafficLight.get, TL_VAR.controlledLinks, tlId);
    return decodeControlledLinks(v);
  }

  /** A detector variable (DET_VAR) of an induction loop or lane-area detector. */
  async detector(kind: 'induction-loop' | 'lane-area', variable: number, id: string): Promise<TraciValue> {
    const domain = kind === 'induction-loop' ? DOMAIN.inductionLoop.get : DOMAIN.laneArea.get;
    return this.get(domain, variable, id);
  }

  async detectorIds(kind: 'induction-loop' | 'lane-area'): Promise<string[]> {
    return (await this.detector(kind, DET_VAR.idList, '')) as string[];
  }

  /** Sends close and ends the socket; SUMO then writes its outputs and exits. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closedError) {
      try {
        await this.batch([{ id: CMD.close, content: new Uint8Array(0), expect: 'status' }]);
      } catch {
        // Already gone: nothing left to close.
      }
    }
    this.#closedError ??= new Error('TraCI: connection closed');
    this.#socket.end();
  }
}

/** Parses one reply message against the requests that produced it. */
export function parseReply(body: Buffer, requests: readonly TraciRequest[]): TraciReply[] {
  const r = new ByteReader(body);
  const out: TraciReply[] = [];
  let failure: TraciError | undefined;
  for (const q of requests) {
    const status = readStatus(r);
    if (status.id !== q.id)
      throw new TraciError(
        `TraCI: reply status for command 0x${status.id.toString(16)}, expected 0x${q.id.toString(16)}`,
        q.id,
      );
    if (status.result !== STATUS.ok) {
      const what = status.result === STATUS.notImplemented ? 'not implemented' : 'error';
      failure ??= new TraciError(
        `TraCI command 0x${q.id.toString(16)}: ${what}: ${status.description}`,
        q.id,
      );
      out.push(undefined);
      continue;
    }
    if (q.expect === 'status') out.push(undefined);
    else if (q.expect === 'step') {
      const n = r.int('subscription count');
      for (let i = 0; i < n; i++) {
        const f = readCommandHeader(r, 'subscription result');
        r.skip(f.end - r.position, 'subscription result');
      }
      out.push(n);
    } else {
      const f = readCommandHeader(r, 'result');
      if (q.id === CMD.getVersion) {
        out.push([r.int('api version'), r.string('version')]);
      } else {
        if (f.id !== q.id + RESULT_OFFSET)
          throw new TraciError(
            `TraCI: result 0x${f.id.toString(16)} for get 0x${q.id.toString(16)}, expected 0x${(q.id + RESULT_OFFSET).toString(16)}`,
            q.id,
          );
        r.ubyte('result variable');
        r.string('result object id');
        out.push(r.typed('result value'));
      }
      if (r.position !== f.end)
        throw new TraciError(
          `TraCI: result 0x${f.id.toString(16)} has ${f.end - r.position} unread bytes`,
          q.id,
        );
    }
  }
  if (failure) throw failure;
  return out;
}

/** The controlled-links compound as [link index][alternative][from, to, via]. */
export function decodeControlledLinks(v: TraciValue): string[][][] {
  if (!Array.isArray(v) || typeof v[0] !== 'number')
    throw new TraciError(
      'TraCI: controlled links are not a compound starting with a count',
      TL_VAR.controlledLinks,
    );
  const items = v as TraciValue[];
  const out: string[][][] = [];
  let i = 1;
  for (let s = 0; s < (items[0] as number); s++) {
    const n = items[i++] as number;
    const links: string[][] = [];
    for (let k = 0; k < n; k++) links.push([...(items[i++] as string[])]);
    out.push(links);
  }
  return out;
}
