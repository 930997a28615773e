// One client's Server-Sent Events session on /api/events (format: WHATWG HTML §9.2, "Server-sent
// events"). On connect: a `snapshot` of every device, then `devices` with the views that changed,
// coalesced to at most one message per COALESCE_MS, a `status` every STATUS_MS and a comment every
// HEARTBEAT_MS so that proxies and phones do not drop an idle connection.

import { PassThrough } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { DeviceView } from '../devices/device-view.js';
import type { ConsoleSource } from './console-server.js';

export const COALESCE_MS = 250;
export const STATUS_MS = 2_000;
export const HEARTBEAT_MS = 15_000;
/** Tells EventSource how long to wait before reconnecting after the node drops the stream. */
const RETRY_MS = 2_000;

export interface EventStream {
  /** The response body; fastify destroys it when the client goes away. */
  readonly body: PassThrough;
  /** Ends the session: unsubscribes, clears timers, ends the body. Safe to call twice. */
  close(): void;
  onClosed(listener: () => void): void;
}

export function openEventStream(source: ConsoleSource, log: FastifyBaseLogger): EventStream {
  const body = new PassThrough();
  // Latest view per device id since the last `devices` message: a device that changes ten times in
  // 250 ms is sent once, with its newest state.
  const pending = new Map<string, DeviceView>();
  let flushTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const closedListeners: (() => void)[] = [];

  const send = (event: string, data: unknown): void => {
    body.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const flush = (): void => {
    flushTimer = undefined;
    if (closed || pending.size === 0) return;
    // A slow phone: keep coalescing rather than queueing more in memory, and try again later.
    if (body.writableNeedDrain) {
      flushTimer = setTimeout(flush, COALESCE_MS);
      return;
    }
    const changed = [...pending.values()];
    pending.clear();
    send('devices', changed);
  };

  const unsubscribe = source.onChange((changed) => {
    if (closed) return;
    for (const view of changed) pending.set(view.id, view);
    flushTimer ??= setTimeout(flush, COALESCE_MS);
  });

  const sendStatus = (): void => {
    if (body.writableNeedDrain) return; // the next one will do
    try {
      send('status', source.status());
    } catch (err) {
      // A failing status source must not end the stream, nor the process.
      log.warn({ err }, 'console: status() failed');
    }
  };

  const statusTimer = setInterval(sendStatus, STATUS_MS);
  const heartbeatTimer = setInterval(() => body.write(': heartbeat\n\n'), HEARTBEAT_MS);

  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearTimeout(flushTimer);
    clearInterval(statusTimer);
    clearInterval(heartbeatTimer);
    pending.clear();
    if (!body.destroyed) body.end();
    for (const listener of closedListeners) listener();
    log.debug('console: event stream closed');
  };
  // 'close' follows both our end() and fastify's destroy() when the client hangs up.
  body.once('close', close);
  body.on('error', close);

  try {
    body.write(`retry: ${RETRY_MS}\n\n`);
    send('snapshot', source.devices());
    sendStatus();
  } catch (err) {
    close();
    throw err;
  }
  log.debug('console: event stream opened');

  return {
    body,
    close,
    onClosed: (listener) => {
      if (closed) listener();
      else closedListeners.push(listener);
    },
  };
}
