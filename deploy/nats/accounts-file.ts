// Renders the NATS accounts file that hub.conf and the cluster nodes include: the coordinator's
// user and one nkey user per edge, each edge allowed only its own subjects. Provisioning writes
// it from the fleet registry; accounts.example.conf is its output for the demo edge (a test keeps
// the two identical).
import {
  commandSubjects,
  EDGE_ID_PATTERN,
  edgeInboxPrefix,
  eventSubject,
  inboxSubjects,
  telemetrySubject,
} from '../../proto/nats-subjects.js';

export interface EdgeNatsUser {
  readonly edgeId: string;
  /** The edge's nkey public key (a "U…" user key). */
  readonly nkey: string;
}

const HEADER = `# Accounts and users of the calle NATS hub, included by hub.conf (inside its \`accounts\` block).
# Provisioning regenerates this file from the fleet registry; this example holds one edge.
#
# What an edge needs, and nothing more (a compromised cabinet cannot speak for another one):
#   publish   calle.telemetry.<id>, calle.events.<id>   its data (JetStream captures them)
#   subscribe _INBOX.edge.<id>.>                        its own inbox: JetStream publish acknowledgements
#   subscribe calle.cmd.<id>.>                          commands addressed to it (request/reply)
#   allow_responses                                     a reply to each command it received, no other _INBOX publish
# Never _INBOX.>: the coordinator's inbox (_INBOX.coordinator.>) receives every edge's telemetry
# from JetStream, and whoever may subscribe there reads it and can -NAK it.
`;

export function renderAccountsFile(edges: readonly EdgeNatsUser[]): string {
  const users = edges.map(({ edgeId, nkey }) => {
    if (!EDGE_ID_PATTERN.test(edgeId)) throw new Error(`edges: edge id '${edgeId}' is not a valid edge id`);
    if (!/^U[A-Z2-7]{55}$/.test(nkey)) throw new Error(`edges[${edgeId}].nkey: not an nkey user public key`);
    const pub = [telemetrySubject(edgeId), eventSubject(edgeId)].map((s) => `"${s}"`).join(', ');
    const sub = [inboxSubjects(edgeInboxPrefix(edgeId)), commandSubjects(edgeId)]
      .map((s) => `"${s}"`)
      .join(', ');
    return [
      `    # ${edgeId}`,
      '    {',
      `      nkey: ${nkey}`,
      '      permissions: {',
      `        publish:   { allow: [${pub}] }`,
      `        subscribe: { allow: [${sub}] }`,
      '        allow_responses: true',
      '      }',
      '    }',
    ].join('\n');
  });
  return `${HEADER}
CALLE {
  jetstream: enabled
  users: [
    # The coordinator owns the streams and consumers and sends commands to edges. It logs in with
    # calle cloud --nats-user coordinator --nats-password-file FILE (the same secret as this variable).
    {
      user: coordinator
      password: $CALLE_COORDINATOR_PASSWORD
      permissions: { publish: ">", subscribe: ">" }
    }
${users.join('\n')}
  ]
}

SYS {
  users: [ { user: sys, password: $CALLE_SYS_PASSWORD } ]
}
`;
}
