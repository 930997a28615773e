// Rotation warnings for the TLS certificates a process serves or presents (the coordinator's gRPC
// certificate and client CA, an edge's CA bundle and client certificate). Expired certificates
// taking sites down is the commonest complaint about the platforms calle is measured against, so
// each process checks its own files at start and then daily: a warning 30 days before expiry
// (time to rotate on a normal schedule), an error 7 days before (someone must act this week), an
// error once expired. The files are re-read at every check, so a rotated file is seen without a
// restart (the listener itself still needs one to serve it: grpc-tls.ts).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';

export const WARN_DAYS = 30;
export const ERROR_DAYS = 7;
const DAY_MS = 86_400_000;

export interface WatchedCertificate {
  /** What the file is, as configured: "coordinator.tls.cert", "--grpc-cert". */
  readonly role: string;
  readonly file: string;
}

export interface CertificateStatus extends WatchedCertificate {
  /** Days until the earliest expiry among the file's certificates (negative once expired). */
  readonly daysLeft: number;
  readonly notAfter: string;
  readonly subject: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificate in `file` (a bundle: the one expiring first). Throws naming the file. */
export function readCertificateExpiry(c: WatchedCertificate, nowMs: number): CertificateStatus {
  let pems: string[];
  try {
    pems = readFileSync(c.file, 'utf8').match(PEM_CERT) ?? [];
  } catch (err) {
    throw new Error(`${c.role} ${c.file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  if (pems.length === 0) throw new Error(`${c.role} ${c.file}: no PEM certificate in it`);
  const first = pems
    .map((pem) => new X509Certificate(pem))
    .reduce((a, b) => (Date.parse(b.validTo) < Date.parse(a.validTo) ? b : a));
  const notAfterMs = Date.parse(first.validTo);
  return {
    ...c,
    daysLeft: Math.floor((notAfterMs - nowMs) / DAY_MS),
    notAfter: new Date(notAfterMs).toISOString(),
    subject: first.subject.replace(/\n/g, ', '),
  };
}

/** Checks every file once and logs what needs attention; returns what it could read. */
export function checkCertificates(
  files: readonly WatchedCertificate[],
  log: Logger,
  nowMs: number,
): CertificateStatus[] {
  const results: CertificateStatus[] = [];
  for (const c of files) {
    let s: CertificateStatus;
    try {
      s = readCertificateExpiry(c, nowMs);
    } catch (err) {
      log.error(
        { role: c.role, file: c.file, err: (err as Error).message },
        'certificate: cannot check expiry',
      );
      continue;
    }
    results.push(s);
    const fields = {
      role: s.role,
      file: s.file,
      subject: s.subject,
      notAfter: s.notAfter,
      daysLeft: s.daysLeft,
    };
    if (s.daysLeft < 0)
      log.error(fields, 'certificate: EXPIRED; TLS connections with it fail: replace it now');
    else if (s.daysLeft <= ERROR_DAYS)
      log.error(fields, `certificate: expires in ${s.daysLeft} days; rotate it now`);
    else if (s.daysLeft <= WARN_DAYS)
      log.warn(fields, `certificate: expires in ${s.daysLeft} days; plan its rotation`);
    else log.debug(fields, 'certificate: expiry checked');
  }
  return results;
}

export interface CertificateWatch {
  /** The latest check's results, for a days-left gauge. */
  readonly latest: readonly CertificateStatus[];
  stop(): void;
}

/** Checks now and then every `intervalMs` (default daily); the timer never holds the process open. */
export function watchCertificates(o: {
  files: readonly WatchedCertificate[];
  log: Logger;
  intervalMs?: number;
  now?: () => number;
}): CertificateWatch {
  const now = o.now ?? Date.now;
  let latest = checkCertificates(o.files, o.log, now());
  const timer = setInterval(() => {
    latest = checkCertificates(o.files, o.log, now());
  }, o.intervalMs ?? DAY_MS);
  timer.unref();
  return {
    get latest() {
      return latest;
    },
    stop: () => clearInterval(timer),
  };
}
