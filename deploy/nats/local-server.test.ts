import test from 'ava';
import { connect } from 'net';
import { LocalNatsServer } from './local-server.js';

const probe = async (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

test('local nats-server — picks a free port, stops, and comes back on the same port', async (t) => {
  const server = await LocalNatsServer.start();
  try {
    t.true(server.port > 0);
    t.true(await probe(server.port));
    const port = server.port;
    await server.stop('SIGKILL');
    t.false(await probe(port));
    await server.start();
    t.is(server.port, port);
    t.true(await probe(port));
  } finally {
    await server.close();
  }
});
