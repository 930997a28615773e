// The TraCI driver: SUMO as the street's equipment. Signal heads are links of a SUMO traffic
// light (device params `tl`, `link`: the index in the state string); detectors are SUMO
// induction loops or lane-area detectors (params `detector`, `detectorKind`). A head with
// params.green "g" shows green as SUMO's permissive minor green (traci-aspects.ts). The edge's
// intersection controller, behind its supervisor, writes aspects and reads detectors through
// this driver exactly as it does through the Modbus one.
//
// SUMO is stepped by the harness, not by wall time, so nothing here polls: `sync()` sends the
// changed state strings, optionally steps the simulation and reads every detector, all in ONE
// TraCI message (one round trip per simulated step). Writes between syncs are buffered per
// traffic light; a state string always carries every link, because SUMO 1.15 accepts a string
// of the wrong length without complaint and then shows it (measured here: "GG" on a 20-link
// light is taken as is).
//
// Counts: TraCI gives per-step vehicle numbers, not cumulative counts, and a slow vehicle stays
// on a detector for several steps. The driver reports a cumulative count of distinct vehicle ids
// entering the detector (ids present now that were absent in the previous step), which is what
// a loop's counter gives the controller in the street.
import type { Logger } from 'pino';
import {
  getRequest,
  setRequest,
  typedString,
  type TraciClient,
  type TraciReply,
  type TraciRequest,
} from './traci-client.js';
import { CMD, DET_VAR, DOMAIN, TL_VAR } from './traci-constants.js';
import { ByteWriter } from './traci-values.js';
import type { PointValue } from '../../edge/devices/device-view.js';
import type { DeviceDriver, DriverDevice, DriverListener } from '../../edge/devices/driver.js';
import { aspectOf, sumoChar } from './traci-aspects.js';

interface Head {
  readonly tl: string;
  readonly link: number;
  /** Green shown as SUMO's minor `g` (yields), from params.green "g". */
  readonly permissive: boolean;
}

interface Detector {
  readonly sumoId: string;
  readonly kind: 'induction-loop' | 'lane-area';
  count: number;
  ids: Set<string>;
  values: Record<string, PointValue> | undefined;
}

export interface TraciSyncResult {
  /** State strings sent in this sync, per traffic light. */
  readonly written: ReadonlyMap<string, string>;
  /** Replies to the caller's extra requests, in order. */
  readonly extra: readonly TraciReply[];
}

export class TraciDriver implements DeviceDriver {
  readonly name = 'traci';
  readonly #client: TraciClient;
  readonly #log: Logger;
  readonly #heads = new Map<string, Head>();
  readonly #detectors = new Map<string, Detector>();
  /** Per traffic light: the state to send, and what SUMO was last sent. */
  readonly #state = new Map<string, { next: string[]; sent: string | undefined }>();
  readonly #listeners = new Set<DriverListener>();
  #timeMs = 0;

  constructor(opts: { client: TraciClient; log: Logger }) {
    this.#client = opts.client;
    this.#log = opts.log;
  }

  async start(devices: readonly DriverDevice[]): Promise<void> {
    for (const d of devices) {
      if (this.#heads.has(d.id) || this.#detectors.has(d.id)) continue;
      if (d.definition.kind === 'signal-head') {
        const tl = d.params.tl;
        const link = d.params.link;
        if (typeof tl !== 'string' || tl === '')
          throw new Error(`device "${d.id}": params.tl must name a SUMO traffic light`);
        if (typeof link !== 'number' || !Number.isInteger(link) || link < 0)
          throw new Error(`device "${d.id}": params.link must be a link index ≥ 0, got ${String(link)}`);
        const green = d.params.green ?? 'G';
        if (green !== 'G' && green !== 'g')
          throw new Error(
            `device "${d.id}": params.green must be "G" (protected) or "g" (permissive), got ${String(green)}`,
          );
        if (!this.#state.has(tl)) {
          // The current state gives the light's link count; unknown lights fail here, by name.
          const current = await this.#client.tlState(tl);
          this.#state.set(tl, { next: [...current], sent: undefined });
        }
        const n = this.#state.get(tl)!.next.length;
        if (link >= n)
          throw new Error(`device "${d.id}": params.link ${link} is beyond light "${tl}"'s ${n} links`);
        this.#heads.set(d.id, { tl, link, permissive: green === 'g' });
      } else if (d.definition.kind === 'detector') {
        const sumoId = d.params.detector ?? d.id;
        const kind = d.params.detectorKind ?? 'lane-area';
        if (typeof sumoId !== 'string') throw new Error(`device "${d.id}": params.detector must be a string`);
        if (kind !== 'induction-loop' && kind !== 'lane-area')
          throw new Error(`device "${d.id}": params.detectorKind must be "induction-loop" or "lane-area"`);
        this.#detectors.set(d.id, { sumoId, kind, count: 0, ids: new Set(), values: undefined });
      } else {
        throw new Error(`device "${d.id}": kind "${d.definition.kind}" has no SUMO counterpart`);
      }
    }
    this.#log.debug({ heads: this.#heads.size, detectors: this.#detectors.size }, 'traci driver: started');
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async read(deviceId: string): Promise<Readonly<Record<string, PointValue>>> {
    const det = this.#detectors.get(deviceId);
    if (det) {
      if (!det.values) throw new Error(`device "${deviceId}": no reading yet (sync() has not run)`);
      return det.values;
    }
    const head = this.#heads.get(deviceId);
    if (head) return { aspect: aspectOf(this.#state.get(head.tl)!.next[head.link]!) };
    throw new Error(`device "${deviceId}": not served by the traci driver`);
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async write(deviceId: string, point: string, value: PointValue): Promise<void> {
    const head = this.#heads.get(deviceId);
    if (!head) throw new Error(`device "${deviceId}": not a signal head of the traci driver`);
    if (point !== 'aspect') throw new Error(`device "${deviceId}": point "${point}" is not writable`);
    const ch = sumoChar(value, head.permissive);
    if (ch === undefined)
      throw new Error(`device "${deviceId}": aspect ${JSON.stringify(value)} is not an aspect`);
    this.#state.get(head.tl)!.next[head.link] = ch;
  }

  /** The full state string that the next sync sends for `tl`. */
  pendingState(tl: string): string | undefined {
    return this.#state.get(tl)?.next.join('');
  }

  subscribe(listener: DriverListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Sends changed states, steps SUMO once when `step`, then reads every detector and runs the
   * caller's `extra` requests (after the step).
   */
  async sync(
    opts: { step?: boolean; timeMs?: number; extra?: readonly TraciRequest[] } = {},
  ): Promise<TraciSyncResult> {
    const written = new Map<string, string>();
    const requests: TraciRequest[] = [];
    for (const [tl, s] of this.#state) {
      const state = s.next.join('');
      if (state === s.sent) continue;
      written.set(tl, state);
      requests.push(setRequest(DOMAIN.trafficLight.set, TL_VAR.state, tl, typedString(state)));
    }
    // SUMO answers the commands after a step before stepping (traci-client.ts), so the reads go
    // in a second message when there is a step: two round trips, values from after the step.
    if (opts.step) {
      requests.push({
        id: CMD.simulationStep,
        content: new ByteWriter().double(0).toBuffer(),
        expect: 'step',
      });
      await this.#client.batch(requests);
      requests.length = 0;
    }
    for (const [tl, state] of written) this.#state.get(tl)!.sent = state;
    const dets = [...this.#detectors.entries()];
    for (const [, d] of dets) {
      const domain = d.kind === 'induction-loop' ? DOMAIN.inductionLoop.get : DOMAIN.laneArea.get;
      requests.push(getRequest(domain, DET_VAR.vehicleIds, d.sumoId));
      requests.push(getRequest(domain, DET_VAR.occupancy, d.sumoId));
      requests.push(getRequest(domain, DET_VAR.halting, d.sumoId));
    }
    const extra = opts.extra ?? [];
    requests.push(...extra);
    const replies = await this.#client.batch(requests);
    if (opts.timeMs !== undefined) this.#timeMs = opts.timeMs;
    let k = opts.step ? 0 : written.size;
    for (const [deviceId, d] of dets) {
      const ids = replies[k++] as string[];
      const occupancy = replies[k++] as number;
      const halting = replies[k++] as number;
      for (const id of ids) if (!d.ids.has(id)) d.count = (d.count + 1) % 2 ** 32;
      d.ids = new Set(ids);
      d.values = { count: d.count, occupancy, queue: halting };
      for (const l of this.#listeners) l({ deviceId, timeMs: this.#timeMs, values: d.values });
    }
    return { written, extra: replies.slice(k) };
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async stop(): Promise<void> {
    // The connection belongs to whoever started SUMO; the driver only forgets its devices.
    this.#heads.clear();
    this.#detectors.clear();
    this.#state.clear();
    this.#listeners.clear();
  }
}
