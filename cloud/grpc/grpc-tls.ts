// TLS for the coordinator's gRPC listener, from PEM files. With a client CA the server requires
// and verifies a client certificate (mutual TLS): an edge must then hold a certificate that CA
// issued. Without one, edges authenticate the coordinator only, and identify themselves in the
// rpcs as before. Files are read once at start; rotating a certificate means a restart for now.
import { ServerCredentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';

export interface GrpcTlsFiles {
  /** PEM certificate chain of the coordinator. */
  readonly certFile: string;
  /** PEM private key of that certificate. */
  readonly keyFile: string;
  /** PEM CA bundle that issues edge certificates; set it to require mutual TLS. */
  readonly clientCaFile?: string;
}

function readPem(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`grpc tls ${field} ${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
}

export function serverCredentials(tls: GrpcTlsFiles | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const clientCa = tls.clientCaFile ? readPem(tls.clientCaFile, 'clientCaFile') : null;
  return ServerCredentials.createSsl(
    clientCa,
    [{ cert_chain: readPem(tls.certFile, 'certFile'), private_key: readPem(tls.keyFile, 'keyFile') }],
    // true: a client without a certificate from clientCa is refused during the handshake.
    clientCa !== null,
  );
}
