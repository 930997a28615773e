// The edge's side of the coordinator's gRPC TLS (cloud/grpc/grpc-tls.ts), from PEM files: the CA
// that issued the coordinator's certificate and, for mutual TLS, the edge's own certificate.
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';

export interface EdgeTlsFiles {
  /** PEM CA bundle the coordinator's certificate must chain to. */
  readonly caFile: string;
  /** PEM certificate of this edge (mutual TLS). */
  readonly certFile?: string;
  /** PEM private key of that certificate. */
  readonly keyFile?: string;
}

export function channelCredentials(tls: EdgeTlsFiles | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    throw new Error('grpc tls: certFile and keyFile go together (mutual TLS needs both)');
  const read = (file: string, field: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`grpc tls ${field} ${file}: cannot read: ${(err as Error).message}`, { cause: err });
    }
  };
  return credentials.createSsl(
    read(tls.caFile, 'caFile'),
    tls.keyFile ? read(tls.keyFile, 'keyFile') : null,
    tls.certFile ? read(tls.certFile, 'certFile') : null,
  );
}
