/**
 * The NATS users of the chat backend and what each may publish and subscribe to, written out as
 * `infra/nats/auth.conf` (included by nats.conf and the cluster configs). Subjects come from
 * `subjects()` in @chat/contracts, the one place they are built, so the permissions follow the code.
 *
 *   pnpm nats:auth            # rewrites infra/nats/auth.conf for the namespace `chat`
 *   pnpm nats:auth myns       # prints the file for CHAT_NAMESPACE=myns (redirect it where you like)
 *
 * `test/nats-auth-config.test.ts` checks that auth.conf is what this file writes for `chat`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type RpcName, subjects } from '@chat/contracts';

export const SERVICE_USERS = ['room', 'profile', 'projection', 'gateway'] as const;
export type ServiceUser = (typeof SERVICE_USERS)[number];

/** The environment variable the server reads each user's password from. */
export const passwordVariable = (user: ServiceUser | 'admin') => `NATS_${user.toUpperCase()}_PASSWORD`;

/** The endpoints each service serves (request/reply through the NATS services API). */
export const ENDPOINTS: Record<Exclude<ServiceUser, 'gateway'>, RpcName[]> = {
  room: [
    'createRoom',
    'joinRoom',
    'leaveRoom',
    'inviteUser',
    'declineInvitation',
    'markRead',
    'postMessage',
    'editMessage',
    'deleteMessage',
    'react',
    'membership',
    'roomMembers',
  ],
  profile: ['registerUser', 'ensureUser', 'updateUser', 'getUser', 'defaultAvatar', 'getAvatar'],
  projection: ['listRooms', 'myRooms', 'myInvitations', 'roomIdsOf', 'getRoom', 'members', 'messages', 'changes', 'recent', 'messageById', 'ping'],
};

interface Rule {
  subject: string;
  why: string;
}

interface UserSpec {
  user: ServiceUser;
  about: string;
  publish: Rule[];
  subscribe: Rule[];
  /** Subjects refused even if an allow rule were widened by mistake. */
  denyPublish?: Rule[];
  /** Why the user may answer requests (publish once to the reply subject of a request it received). */
  responses?: string;
}

/** Every user's permissions for the namespace `ns`. */
export function natsUsers(ns: string): UserSpec[] {
  const s = subjects(ns);
  const log = s.stream;
  const evt = (tail: string) => `${ns}.evt.${tail}`;
  const api = (tail: string) => `$JS.API.${tail}`;
  const presenceStream = `KV_${s.presenceBucket}`;
  const leaseStream = `KV_${s.leaseBucket}`;
  const uploadStream = `OBJ_${s.uploads}`;

  const inbox = (user: ServiceUser): Rule => ({
    subject: `_INBOX_${user}.>`,
    why: `replies to its own requests (JetStream API answers, publish acks, consumer deliveries, service answers): nats.js uses the prefix _INBOX_${user} when NATS_USER=${user}, so no user reads another's replies`,
  });
  const jsInfo: Rule = { subject: api('INFO'), why: 'JetStream account info: asked once by every JetStream manager (read only)' };
  const logInfo: Rule = { subject: api(`STREAM.INFO.${log}`), why: 'the event log exists (checked at start), its last sequence and creation time' };
  const follow = (why: string): Rule[] => [
    {
      subject: api(`CONSUMER.CREATE.${log}.*`),
      why: `ordered consumer over the whole log, no filter (${why}); the name is one token, so a filtered create does not match`,
    },
    ...consumerUse(log, 'reading the log'),
  ];
  const filteredReads = (filters: string[], why: string): Rule[] => [
    ...filters.map((f) => ({
      subject: api(`CONSUMER.CREATE.${log}.*.${f}`),
      why: `ordered consumer filtered to ${f} (${why}); the filter is part of the subject`,
    })),
    ...consumerUse(log, why),
  ];
  function consumerUse(stream: string, why: string): Rule[] {
    return [
      { subject: api(`CONSUMER.MSG.NEXT.${stream}.*`), why: `pulls the next messages of its ordered consumer (${why})` },
      { subject: api(`CONSUMER.INFO.${stream}.*`), why: `its ordered consumer's state (${why})` },
      { subject: api(`CONSUMER.DELETE.${stream}.*`), why: `removes its ordered consumer when done, rather than leaving it to expire (${why})` },
    ];
  }
  const service = (user: Exclude<ServiceUser, 'gateway'>): Rule[] => [
    ...ENDPOINTS[user].map((name) => ({ subject: s.rpc[name], why: `serves ${name} (queue group ${ns}-${user})` })),
    { subject: '$SRV.*', why: 'NATS services API discovery: PING, INFO, STATS of every service' },
    { subject: `$SRV.*.${user}`, why: `services API discovery of the ${user} service` },
    { subject: `$SRV.*.${user}.*`, why: `services API discovery of one ${user} instance` },
  ];
  // Creating or changing any stream is as strong as appending events: a stream's `republish`
  // (or sources) can write into the event log. So only the two services that append events
  // anyway create streams (`provisionJetStream`: the log and every bucket); the others wait.
  const provision: Rule[] = [
    { subject: api(`STREAM.CREATE.${log}`), why: 'creates the event log when it is missing (provisionJetStream)' },
    ...[leaseStream, presenceStream, uploadStream].flatMap((stream) => [
      { subject: api(`STREAM.CREATE.${stream}`), why: 'creates this bucket when it is missing, for every service (provisionJetStream)' },
      { subject: api(`STREAM.INFO.${stream}`), why: 'whether this bucket exists, and its storage and replicas' },
      { subject: api(`STREAM.UPDATE.${stream}`), why: 'sets the bucket to the stream replica count (STREAM_REPLICAS)' },
      { subject: api(`STREAM.DELETE.${stream}`), why: 'replaces a bucket an older version made in memory storage (short-lived data only)' },
    ]),
  ];
  const answers = 'answers requests (commands, queries, services API discovery) once, on the reply subject of a request it received';

  return [
    {
      user: 'room',
      about: 'rooms, membership and messages: appends room, message, edit and read-marker events',
      publish: [
        { subject: evt('room.*'), why: 'appends RoomCreated, UserJoined, UserLeft, UserInvited, InvitationDeclined (a room aggregate)' },
        { subject: evt('read.*'), why: 'appends ReadMarkerMoved (a user’s read markers)' },
        { subject: evt('msg.*'), why: 'appends MessagePosted' },
        { subject: evt('edit.*.*'), why: 'appends MessageEdited, MessageDeleted, ReactionAdded, ReactionRemoved (one message aggregate)' },
        { subject: s.notices.allRooms, why: 'tells the other room copies it appended to a room (core notice, outside the stream)' },
        jsInfo,
        logInfo,
        { subject: api(`STREAM.MSG.GET.${log}`), why: 'last event of an aggregate (expected sequence) and one event by sequence, asked of the leader' },
        ...filteredReads([evt('room.*'), evt('edit.*.*')], 'folds a room or a message from its events'),
        ...provision,
      ],
      subscribe: [
        ...service('room'),
        { subject: s.notices.allRooms, why: 'notices from the other room copies: drop what it knows of that room' },
        inbox('room'),
      ],
      responses: answers,
    },
    {
      user: 'profile',
      about: 'users, names and avatars: appends user events, reads staged uploads',
      publish: [
        { subject: evt('user.*'), why: 'appends UserRegistered, ProfileUpdated' },
        jsInfo,
        logInfo,
        { subject: api(`STREAM.MSG.GET.${log}`), why: "a user's last event (expected sequence), asked of the leader" },
        ...filteredReads([evt('user.*')], 'folds a user from its events'),
        { subject: api(`STREAM.MSG.GET.${uploadStream}`), why: "an upload's metadata (the object store's info)" },
        {
          subject: api(`CONSUMER.CREATE.${uploadStream}.*.$O.${s.uploads}.C.*`),
          why: "ordered push consumer over one upload's chunks (reading an avatar the gateway staged)",
        },
        { subject: `$JS.FC.${uploadStream}.*.*`, why: 'flow-control answers of that push consumer (large uploads)' },
        ...provision,
      ],
      subscribe: [...service('profile'), inbox('profile')],
      responses: answers,
    },
    {
      user: 'projection',
      about: 'read models in Postgres: follows the log, holds its writer lease, answers history queries',
      publish: [
        jsInfo,
        logInfo,
        ...follow('the writer applies every event'),
        { subject: api(`STREAM.INFO.${leaseStream}`), why: 'opens the lease bucket (created by room or profile)' },
        { subject: `$KV.${s.leaseBucket}.>`, why: 'takes, renews and releases its writer lease (KV create, update, delete)' },
        {
          subject: api(`DIRECT.GET.${leaseStream}.$KV.${s.leaseBucket}.>`),
          why: 'reads a lease key before taking a released lease over (KV create over a delete marker; direct get by key)',
        },
      ],
      denyPublish: [{ subject: evt('>'), why: 'never appends events' }],
      subscribe: [...service('projection'), inbox('projection')],
      responses: answers,
    },
    {
      user: 'gateway',
      about: 'the public edge: calls the services, follows the log for live frames, presence, avatar uploads',
      publish: [
        ...(Object.keys(s.rpc) as RpcName[]).map((name) => ({ subject: s.rpc[name], why: `calls ${name}` })),
        { subject: `${ns}.live.>`, why: "live subjects between gateways (typing); the gateways' own" },
        jsInfo,
        logInfo,
        ...follow('the live feed turns events into frames'),
        {
          subject: api(`DIRECT.GET.${log}.${evt('user.*')}`),
          why: "a user's last profile event when a frame's author is not in memory (direct get, last by subject)",
        },
        {
          subject: api(`DIRECT.GET.${log}.${evt('room.*')}`),
          why: "a room's last membership event: what a read of the room must reflect (direct get, last by subject)",
        },
        {
          subject: api(`DIRECT.GET.${log}.${evt('msg.*')}`),
          why: "a room's last post, written through any gateway: what a read of its history must reflect (direct get, last by subject)",
        },
        {
          subject: api(`DIRECT.GET.${log}`),
          why: "a room's messages' last change (edit, deletion, reaction) past what its feed has read: what a read of its history must reflect (direct get by a filter, given in the request; the log it reads whole anyway)",
        },
        { subject: api(`STREAM.INFO.${presenceStream}`), why: 'opens the presence bucket (created by room or profile)' },
        { subject: `$KV.${s.presenceBucket}.>`, why: 'puts, renews and deletes presence leases' },
        {
          subject: api(`CONSUMER.CREATE.${presenceStream}.*.$KV.${s.presenceBucket}.>`),
          why: 'ordered consumer following the presence keys (the filter is part of the subject)',
        },
        ...consumerUse(presenceStream, 'watching presence'),
        { subject: api(`STREAM.INFO.${uploadStream}`), why: 'opens the uploads object store (created by room or profile)' },
        { subject: `$O.${s.uploads}.>`, why: 'stages an upload: its chunks ($O.<store>.C.<id>) and metadata ($O.<store>.M.<name>), and marks it deleted' },
        { subject: api(`STREAM.MSG.GET.${uploadStream}`), why: "an upload's metadata before it is written or deleted" },
        { subject: api(`STREAM.PURGE.${uploadStream}`), why: "removes an upload's chunks once used (purge by subject; the store holds only staged uploads)" },
      ],
      denyPublish: [{ subject: evt('>'), why: 'never appends events: only room and profile do' }],
      subscribe: [{ subject: `${ns}.live.>`, why: "typing from other gateways, for the rooms this gateway's sockets are in" }, inbox('gateway')],
    },
  ];
}

const quote = (subject: string) => JSON.stringify(subject);

function rules(indent: string, list: Rule[]): string {
  return list.map((r) => `${indent}# ${r.why}\n${indent}${quote(r.subject)}\n`).join('');
}

/** The text of auth.conf for the namespace `ns`. */
export function natsAuthConfig(ns: string): string {
  const s = subjects(ns);
  const users = natsUsers(ns);
  let out = `# NATS users and permissions of the chat backend, for CHAT_NAMESPACE=${ns}
# (stream ${s.stream}, buckets KV_${s.leaseBucket} and KV_${s.presenceBucket}, object store ${s.uploads}).
#
# Written by infra/nats/auth.ts from the subjects in packages/contracts/src/subjects.ts: do not edit
# by hand. Another namespace: \`pnpm nats:auth <namespace> > auth.conf\` and include that file instead
# (every subject, stream and bucket name below contains the namespace).
#
# Included by nats.conf (single node) and cluster/n*.conf. Each service connects with its own user
# (NATS_USER / NATS_PASSWORD in its environment); the server reads the passwords from its own
# environment: ${[...SERVICE_USERS, 'admin' as const].map(passwordVariable).join(', ')}.
# All must be set or the server does not start. nats-server parses a variable's value like a
# config value: use letters and digits starting with a letter (for example \`p$(openssl rand -hex 24)\`),
# since a value such as 123456, true or 1e5 is read as a number or boolean and refused.
#
# Everyone stays in the global account, so streams made before this file existed are still there.
# Clients without a user are refused. Only room and profile may publish events (<ns>.evt.>) or
# create streams; every other publish and subscribe is listed, each with the reason it is needed.
# Answers to requests go out with allow_responses (once, to a request's own reply subject), so no
# service may publish to another's inbox at will.
#
# Nobody subscribes to the event subjects (<ns>.evt.>), and no user may: nats-server does not check
# a push consumer's deliver subject against its creator's permissions, but delivers only where
# someone subscribes, so with no subscriber there the users that may create consumers (on the
# presence bucket, say) still cannot write into the event log through one. Operators: do not
# \`nats sub\` the event subjects on a live system (read them with a consumer: \`nats stream view\`).

authorization {
  users: [
`;
  for (const u of users) {
    out += `    # ${u.user}: ${u.about}
    {
      user: ${u.user}
      password: $${passwordVariable(u.user)}
      permissions: {
        publish: {
          allow: [
${rules('            ', u.publish)}          ]
`;
    if (u.denyPublish) out += `          deny: [\n${rules('            ', u.denyPublish)}          ]\n`;
    out += `        }
        subscribe: {
          allow: [
${rules('            ', u.subscribe)}          ]
        }
`;
    if (u.responses) out += `        # ${u.responses}\n        allow_responses: true\n`;
    out += `      }
    }
`;
  }
  out += `    # admin: operators (nats CLI: stream reports, backups). Everything, so give it to people, not services.
    {
      user: admin
      password: $${passwordVariable('admin')}
    }
  ]
}
`;
  return out;
}

export const AUTH_CONF = fileURLToPath(new URL('./auth.conf', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ns = process.argv[2];
  if (ns) process.stdout.write(natsAuthConfig(ns));
  else {
    writeFileSync(AUTH_CONF, natsAuthConfig('chat'));
    console.log(`wrote ${AUTH_CONF}`);
  }
}
