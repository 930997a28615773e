// The options of every coordinator-side NATS connection (ingest, which commands share; replication;
// `calle fleet --nats`; the benches): the servers, the coordinator's credentials, its private inbox
// prefix, a connection name. One place, so that no connection forgets the credentials or falls back
// to the default `_INBOX.` prefix, under which an edge could once read what JetStream delivered to
// the coordinator (issue 13, finding 2; proto/nats-subjects.ts).
import type { ConnectionOptions } from '@nats-io/transport-node';
import { COORDINATOR_INBOX_PREFIX } from '../../proto/nats-subjects.js';
import { NatsCredentialsError, type CoordinatorNatsAuth } from './nats-credentials.js';

export interface CoordinatorNatsTarget {
  readonly servers: readonly string[];
  /** Absent: no credentials (a private test server that has no users). */
  readonly auth?: CoordinatorNatsAuth | undefined;
}

/** A `scheme://user:password@host` or `user@host` server URL: credentials the client would drop. */
const URL_CREDENTIALS = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/@]*)@/i;

/**
 * Refuses a server URL that carries credentials: the NATS client ignores them (so the login
 * fails, over and over), and a password in argv shows in every `ps`. Names the flag to use
 * instead; the message shows the URL with its credentials cut out.
 */
export function checkServerUrls(servers: readonly string[], flag = '--nats'): void {
  if (servers.length === 0) throw new NatsCredentialsError(`${flag}: no NATS server given`);
  for (const url of servers)
    if (URL_CREDENTIALS.test(url))
      throw new NatsCredentialsError(
        `${flag} ${url.replace(URL_CREDENTIALS, (m, userinfo: string) => m.replace(userinfo, '…'))}: ` +
          'credentials in the URL are ignored by the NATS client (and show in the process list); ' +
          'give --nats-user NAME --nats-password-file FILE or --nats-creds FILE instead',
      );
}

/** Connection options for one coordinator-side connection; throws NatsCredentialsError on a bad URL. */
export function coordinatorConnectionOptions(target: CoordinatorNatsTarget, name: string): ConnectionOptions {
  checkServerUrls(target.servers);
  return {
    servers: [...target.servers],
    name,
    inboxPrefix: COORDINATOR_INBOX_PREFIX,
    ...(target.auth ? { authenticator: target.auth.authenticator } : {}),
  };
}
