import test from 'ava';
import { resolve } from 'node:path';
import { ConfigError } from '../edge/config/config-error.js';
import { loadEdgeConfig } from '../edge/config/load-config.js';
import { DEMO_SITE } from './demo.js';
import { withEdgeOverrides } from './overrides.js';

const site = loadEdgeConfig(DEMO_SITE);

test('edge flags — TLS, enrolment token and NATS seed flags fill the uplink sections, paths made absolute', (t) => {
  const c = withEdgeOverrides(site, {
    nats: ['nats://hub:4222'],
    'nats-seed': 'nats.nk',
    coordinator: 'coordinator:50051',
    'enrolment-token': 'calle-enrol-x',
    'grpc-ca': 'ca.pem',
    'grpc-cert': 'edge.pem',
    'grpc-key': 'edge.key',
  });
  t.deepEqual(c.nats, { servers: ['nats://hub:4222'], nkeySeedFile: resolve('nats.nk') });
  t.deepEqual(c.coordinator, {
    grpc: 'coordinator:50051',
    enrolmentToken: 'calle-enrol-x',
    tls: { ca: resolve('ca.pem'), cert: resolve('edge.pem'), key: resolve('edge.key') },
  });
});

test('edge flags — a client certificate without its key or without a CA is refused by flag name', (t) => {
  const base = { coordinator: 'coordinator:50051' };
  const e1 = t.throws(
    () => withEdgeOverrides(site, { ...base, 'grpc-cert': 'edge.pem', 'grpc-ca': 'ca.pem' }),
    {
      instanceOf: ConfigError,
    },
  );
  t.regex(e1.message, /--grpc-cert\/--grpc-key: go together/);
  const e2 = t.throws(
    () => withEdgeOverrides(site, { ...base, 'grpc-cert': 'edge.pem', 'grpc-key': 'edge.key' }),
    {
      instanceOf: ConfigError,
    },
  );
  t.regex(e2.message, /--grpc-cert: needs the CA/);
});
