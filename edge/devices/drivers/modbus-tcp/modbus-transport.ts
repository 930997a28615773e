// What the modbus-tcp driver needs from a Modbus TCP client: one connection per endpoint shared by
// every unit behind it, one request at a time unless allowed more, a per-request timeout, and
// news of the link going up and down. ModbusConnection is calle's; a library client can stand in
// behind the same door (see evaluation/, where the maintained npm clients were measured on it).
import type { Logger } from 'pino';
import type { ModbusRequest, ModbusResult } from './modbus-request.js';

export type ConnectionListener = (up: boolean, error?: string) => void;

export interface ModbusTransportOptions {
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
  /**
   * Outstanding transactions. The guide allows many, but many servers answer one at a time (an
   * independent server, pymodbus 3, drops the connection when pipelined to). Default 1.
   */
  readonly maxInFlight?: number;
  /** First and largest reconnect delay; default 250 ms and 30 s. */
  readonly backoffMs?: { readonly initial: number; readonly max: number };
  /** Default 3000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * Timeouts in a row, with no response of any kind in between, after which the socket is taken
   * for half-open and replaced. A timeout of one unit while others answer never trips it.
   */
  readonly deadAfterTimeouts?: number;
}

export interface ModbusTransport {
  /** "host:port", the prefix of every device's lastError. */
  readonly endpoint: string;
  readonly up: boolean;
  /** Why the connection is down (the last socket error), for devices' lastError. */
  readonly lastError: string;
  /** Lowers the outstanding-transaction limit: an endpoint serves its most cautious device. */
  limitInFlight(max: number): void;
  /** Called with (true) when connected, (false, reason) when the connection is lost or refused. */
  onState(listener: ConnectionListener): () => void;
  /** Starts connecting; reconnects with backoff until close(). Idempotent. */
  open(): void;
  /**
   * Sends one request to `unitId`. Rejects with a ModbusError: MODBUS_NOT_CONNECTED at once while
   * the link is down, MODBUS_TIMEOUT after `timeoutMs` (counted from the call), MODBUS_EXCEPTION
   * naming the exception, MODBUS_PROTOCOL for an answer that does not fit the request.
   */
  request(unitId: number, req: ModbusRequest, timeoutMs: number): Promise<ModbusResult>;
  /** Closes the socket and every timer; pending requests reject. Resolves once the socket is closed. */
  close(): Promise<void>;
}

export type ModbusTransportFactory = (opts: ModbusTransportOptions) => ModbusTransport;
