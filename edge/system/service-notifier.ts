// Tells systemd that the node is ready, and feeds its watchdog while the control loop is alive.
//
// Under `Type=notify` with `WatchdogSec=`, systemd sets NOTIFY_SOCKET and WATCHDOG_USEC. Node has
// no datagram Unix sockets, so we send through the `systemd-notify` tool, which needs
// `NotifyAccess=all` in the unit (it runs as a child process). The watchdog is fed only while the
// control loop has ticked recently: a wedged loop — the street no longer controlled — stops the
// feeding and systemd restarts the node, which is the point of a watchdog. Outside systemd
// (no NOTIFY_SOCKET) all of this is a no-op.
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

export interface ServiceNotifierOptions {
  readonly log: Logger;
  /** True while the node is doing its job (the control loop ticked recently). */
  readonly healthy: () => boolean;
  /** Environment to read NOTIFY_SOCKET and WATCHDOG_USEC from; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** The notify tool; default `systemd-notify`. */
  readonly tool?: string;
}

export interface ServiceNotifier {
  /** Stops feeding the watchdog and tells systemd the service is stopping. */
  stop(): void;
}

export function startServiceNotifier(options: ServiceNotifierOptions): ServiceNotifier {
  const env = options.env ?? process.env;
  const tool = options.tool ?? 'systemd-notify';
  if (!env.NOTIFY_SOCKET) return { stop: () => undefined };

  const send = (...state: string[]): void => {
    execFile(tool, state, { env: { ...env } }, (err) => {
      if (err) options.log.warn({ err, state }, 'systemd: notify failed');
    });
  };
  send('--ready', `--status=controlling`);

  const usec = Number(env.WATCHDOG_USEC);
  let timer: NodeJS.Timeout | undefined;
  let starving = false;
  if (Number.isFinite(usec) && usec > 0) {
    // Feed at half the period, as sd_watchdog_enabled(3) recommends.
    const everyMs = Math.max(500, usec / 1000 / 2);
    timer = setInterval(() => {
      if (options.healthy()) {
        if (starving) options.log.info('systemd: control loop alive again; feeding the watchdog');
        starving = false;
        send('WATCHDOG=1');
      } else if (!starving) {
        starving = true;
        options.log.error(
          'systemd: control loop stalled; not feeding the watchdog (systemd will restart us)',
        );
      }
    }, everyMs);
  }
  return {
    stop() {
      clearInterval(timer);
      send('--status=stopping', 'STOPPING=1');
    },
  };
}
