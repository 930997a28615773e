import test from 'ava';
import mqtt from 'mqtt';
import { LocalMqttBroker } from './local-broker.js';

test('local mqtt broker — starts on a free port, relays a message, restarts on the same port', async (t) => {
  const broker = await LocalMqttBroker.start();
  t.teardown(async () => broker.close());
  const port = broker.port;
  t.true(port > 0);
  const roundTrip = async (): Promise<string> => {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    try {
      await client.subscribeAsync('t/1');
      const got = new Promise<string>((resolve) =>
        client.once('message', (_topic, payload) => resolve(payload.toString())),
      );
      await client.publishAsync('t/1', 'hello');
      return await got;
    } finally {
      await client.endAsync();
    }
  };
  t.is(await roundTrip(), 'hello');
  await broker.stop('SIGKILL');
  t.false(broker.running);
  await broker.start();
  t.is(broker.port, port);
  t.is(await roundTrip(), 'hello');
});
