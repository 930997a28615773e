// Runnable Modbus TCP equipment: one process, one listening port, one or more units behind it
// (a module, or a TCP/RTU gateway with several devices), ticking every 100 ms.
//
//   node --import tsx hil-tests/equipment/modbus-equipment.ts --port 0 \
//     --unit 1=io-module:heads=4,detectors=4,vehiclesPerHour=600 \
//     --unit 2=lighting-controller:ratedW=60
//
// Prints one JSON line {"ready":true,"port":N} when listening. Takes JSON-line commands on stdin
// and answers each on stdout with {"id","ok","result"|"error"} (see control-channel.ts):
//   {"id":1,"cmd":"lampOut","unit":1,"head":0,"lamp":"red","out":true}
//   {"id":2,"cmd":"vehicle","unit":1,"detector":0}
//   {"id":3,"cmd":"faults","unit":2,"mute":true}        (also "delayMs")
//   {"id":4,"cmd":"state","unit":2}
//   {"id":5,"cmd":"dropClients"}
// Exits when stdin closes, so a crashed test leaves no orphan listening.
import { parseArgs } from 'node:util';
import { serveControl } from './control-channel.js';
import { IoModule, type Lamp } from './io-module.js';
import { LightingController } from './lighting-controller.js';
import { ModbusServer, type RegisterBank } from './modbus-server.js';

type Model =
  { kind: 'io-module'; model: IoModule } | { kind: 'lighting-controller'; model: LightingController };

/** "1=io-module:heads=4,detectors=2" → unit 1 and its model. */
function parseUnit(spec: string): [number, Model] {
  const m = /^(\d{1,3})=([a-z-]+)(?::(.*))?$/.exec(spec);
  if (!m) throw new Error(`--unit ${spec}: expected <unitId>=<model>[:key=value,…]`);
  const opts: Record<string, number> = {};
  for (const kv of (m[3] ?? '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    if (k === undefined || v === undefined || !Number.isFinite(Number(v)))
      throw new Error(`--unit ${spec}: bad option "${kv}"`);
    opts[k] = Number(v);
  }
  const unitId = Number(m[1]);
  if (m[2] === 'io-module') {
    return [
      unitId,
      {
        kind: 'io-module',
        model: new IoModule({
          heads: opts.heads ?? 4,
          detectors: opts.detectors ?? 4,
          vehiclesPerHour: opts.vehiclesPerHour ?? 0,
          seed: opts.seed ?? unitId,
        }),
      },
    ];
  }
  if (m[2] === 'lighting-controller') {
    return [
      unitId,
      {
        kind: 'lighting-controller',
        model: new LightingController({
          ratedW: opts.ratedW ?? 60,
          ...(opts.standbyW !== undefined ? { standbyW: opts.standbyW } : {}),
          seed: opts.seed ?? unitId,
        }),
      },
    ];
  }
  throw new Error(`--unit ${spec}: unknown model "${m[2]}" (io-module, lighting-controller)`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      unit: { type: 'string', multiple: true, default: [] },
    },
  });
  const models = new Map(values.unit.map(parseUnit));
  if (models.size === 0) throw new Error('at least one --unit is required');
  const banks = new Map<number, RegisterBank>([...models].map(([id, m]) => [id, m.model.bank]));
  const server = new ModbusServer(banks);
  const port = await server.listen(Number(values.port), values.host);
  const timer = setInterval(() => {
    const now = Date.now();
    for (const m of models.values()) m.model.tick(now);
  }, 100);

  const unit = (cmd: Record<string, unknown>): Model => {
    const m = models.get(Number(cmd.unit));
    if (!m) throw new Error(`no unit ${String(cmd.unit)}`);
    return m;
  };
  const io = (cmd: Record<string, unknown>): IoModule => {
    const m = unit(cmd);
    if (m.kind !== 'io-module') throw new Error(`unit ${String(cmd.unit)} is not an io-module`);
    return m.model;
  };
  const shutdown = async (): Promise<void> => {
    clearInterval(timer);
    await server.close();
    process.exit(0);
  };
  serveControl(
    {
      lampOut: (c) => io(c).setLampOut(Number(c.head), c.lamp as Lamp, c.out !== false),
      vehicle: (c) =>
        io(c).vehicle(Number(c.detector), Date.now(), c.ms === undefined ? undefined : Number(c.ms)),
      faults: (c) =>
        server.setFaults(Number(c.unit), {
          ...(c.mute !== undefined ? { mute: c.mute === true } : {}),
          ...(c.delayMs !== undefined ? { delayMs: Number(c.delayMs) } : {}),
        }),
      state: (c) => {
        const m = unit(c);
        return m.kind === 'io-module'
          ? m.model.state()
          : { targetPct: m.model.targetPct, actualPct: m.model.actualPct, energyWh: m.model.energyWh };
      },
      dropClients: () => server.dropClients(),
      requests: () => Object.fromEntries(server.requests),
    },
    shutdown,
  );
  process.on('SIGTERM', () => void shutdown());
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`modbus-equipment: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
