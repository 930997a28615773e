// Certificates for TLS tests, made with the system's openssl in a temp dir: a CA, a server
// certificate for 127.0.0.1/localhost, and client certificates. P-256 keys keep generation fast
// on a loaded machine. Not a test file itself.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pair {
  readonly certFile: string;
  readonly keyFile: string;
}

const openssl = (dir: string, ...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
};

/** A self-signed CA named `name` in `dir`. */
export function makeCa(dir: string, name: string): Pair {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  );
  return { certFile, keyFile };
}

/** A certificate for `cn` issued by `ca`; servers get SANs for the loopback address. */
export function issue(dir: string, ca: Pair, cn: string, kind: 'server' | 'client'): Pair {
  const keyFile = join(dir, `${cn}.key`);
  const certFile = join(dir, `${cn}.crt`);
  const csr = join(dir, `${cn}.csr`);
  const ext = join(dir, `${cn}.ext`);
  writeFileSync(
    ext,
    kind === 'server'
      ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n',
  );
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    csr,
    '-subj',
    `/CN=${cn}`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '1',
    '-extfile',
    ext,
  );
  return { certFile, keyFile };
}
