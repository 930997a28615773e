import test from 'ava';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { makeCa } from '../../cloud/grpc/test-certificates.js';
import { tempDir } from '../../common/testing/temp-dir.js';
import { checkCertificates, readCertificateExpiry, watchCertificates } from './certificate-expiry.js';

const DAY = 86_400_000;

function capture(): { log: pino.Logger; lines: { level: number; msg: string; daysLeft?: number }[] } {
  const lines: { level: number; msg: string; daysLeft?: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n'))
        if (l) lines.push(JSON.parse(l) as (typeof lines)[number]);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

test('certificate expiry — silent beyond 30 days, a warning within 30, an error within 7 and once expired', (t) => {
  const dir = tempDir(t);
  const { certFile } = makeCa(dir, 'coordinator');
  const notAfter = Date.parse(new X509Certificate(readFileSync(certFile)).validTo);
  const files = [{ role: '--grpc-cert', file: certFile }];
  const at = (daysBefore: number): { level: number; msg: string; daysLeft?: number } => {
    const { log, lines } = capture();
    checkCertificates(files, log, notAfter - daysBefore * DAY - 1_000);
    return lines[0]!;
  };
  t.like(at(45), { level: 20, daysLeft: 45 });
  t.like(at(31), { level: 20 });
  t.like(at(30), { level: 40, daysLeft: 30, msg: 'certificate: expires in 30 days; plan its rotation' });
  t.like(at(8), { level: 40 });
  t.like(at(7), { level: 50, msg: 'certificate: expires in 7 days; rotate it now' });
  t.like(at(-2), { level: 50, msg: 'certificate: EXPIRED; TLS connections with it fail: replace it now' });
});

test('certificate expiry — a bundle counts by its first expiry; an unreadable file is an error, not a crash', (t) => {
  const dir = tempDir(t);
  // A long-lived certificate first, then one that expires tomorrow: the second one decides.
  const long = join(dir, 'long.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'long.key'),
      '-out',
      long,
      '-days',
      '400',
      '-subj',
      '/CN=long',
    ],
    { stdio: 'ignore' },
  );
  const short = makeCa(dir, 'short');
  const bundle = join(dir, 'bundle.pem');
  writeFileSync(bundle, readFileSync(long, 'utf8') + readFileSync(short.certFile, 'utf8'));
  const s = readCertificateExpiry({ role: 'coordinator.tls.ca', file: bundle }, Date.now());
  t.is(s.daysLeft, 0);
  t.regex(s.subject, /CN=short/);

  const { log, lines } = capture();
  const watch = watchCertificates({
    files: [{ role: 'coordinator.tls.ca', file: join(dir, 'missing.pem') }],
    log,
  });
  t.teardown(() => watch.stop());
  t.deepEqual(watch.latest, []);
  t.like(lines[0], { level: 50, msg: 'certificate: cannot check expiry' });
});
