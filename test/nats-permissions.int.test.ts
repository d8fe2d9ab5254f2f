import {
  AckPolicy,
  connect,
  DeliverPolicy,
  EventStore,
  isPermissionDenied,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  nuid,
  RetentionPolicy,
  StorageType,
} from '@chat/bus';
import { subjects, type UserView } from '@chat/contracts';
import { start as startProfile } from '@chat/profile';
import { eventually, testImages } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestUser } from './support/client.ts';
import { AuthNats } from './support/nats-auth.ts';
import { type Stack, startStack } from './support/stack.ts';

// The whole system on a NATS server of the test's own, started with the permissions we ship
// (infra/nats/auth.conf, for the namespace `chat`), each service as its own NATS user, with no
// permission refused. Then what the gateway's user (and the projection's) must not be able to do:
// append to the event log, by publishing, through a stream of its own (republish) or through a
// push consumer's deliver subject; manage the log's stream; and what nobody may do: connect
// without credentials.

const ns = 'chat';
const s = subjects(ns);

let nats: AuthNats;
let stack: Stack;

const logMessages = async () => (await (await jetstreamManager(stack.nc)).streams.info(s.stream)).state.messages;

/** A valid event envelope, as an attacker holding a service's credentials would forge it. */
const forged = (roomId: string, userId: string) =>
  JSON.stringify({
    id: nuid.next(),
    type: 'MessagePosted',
    version: 1,
    occurred_at: new Date().toISOString(),
    data: { room_id: roomId, message_id: `m_${nuid.next()}`, user_id: userId, content: 'forged', client_msg_id: null },
    meta: { correlation_id: nuid.next(), causation_id: null, actor: userId },
  });

beforeAll(async () => {
  nats = await AuthNats.start();
  stack = await startStack({ servers: { natsUrl: nats.url }, namespace: ns, rooms: 2, natsAuth: nats.stackAuth });
}, 90_000);

afterAll(async () => {
  await stack?.stop().catch(() => undefined);
  await nats?.destroy();
});

describe('NATS least privilege (infra/nats/auth.conf)', () => {
  it('runs the whole system with one user per service and no permission refused', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob']);
    // An avatar upload goes through the uploads object store (gateway writes, profile reads).
    const upload = await fetch(`${stack.url}/users/${ann.id}/avatar`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'image/png' },
      body: new Uint8Array(await testImages.png()),
    });
    expect(upload.status).toBe(200);
    const avatar = ((await upload.json()) as { avatar: string }).avatar;
    expect(avatar).toMatch(/^\/avatars\//);
    expect((await fetch(`${stack.url}${avatar}`)).status).toBe(200);

    expect((await ann.join('lobby')).status).toBe(200);
    expect((await bob.join('lobby')).status).toBe(200);
    const [sa, sb] = await Promise.all([ann.connect('lobby'), bob.connect('lobby')]);
    await Promise.all([sa.ready(), sb.ready()]);

    // A post: the room service appends it, the gateway's live feed turns it into a frame.
    const posted = await ann.post('lobby', 'hello under least privilege', { client_msg_id: 'lp-1' });
    expect(posted.status).toBe(201);
    await sb.until(() => sb.messages().some((m) => m.content === 'hello under least privilege' && m.avatar === avatar), 'the live frame at Bob');
    // Typing travels over the live subjects; presence is the gateway's KV bucket.
    sa.send({ type: 'typing' });
    await sb.until((f) => f.some((x) => x.type === 'typing'), 'typing at Bob');
    const presence = await bob.request<{ online: string[] }>('GET', '/rooms/lobby/presence');
    expect(presence.status).toBe(200);
    expect(presence.body.online).toEqual(expect.arrayContaining([ann.id, bob.id]));

    // An edit: the room service folds the message's own aggregate with a filtered consumer.
    const edited = await ann.request('PATCH', `/rooms/lobby/messages/${posted.body.id}`, { content: 'hello, edited' });
    expect(edited.status).toBe(200);
    await sb.until(() => sb.frames.some((f) => f.type === 'message_updated' && f.message.content === 'hello, edited'), 'the edit at Bob');

    // History from the projection (it follows the log and holds its lease in the lease bucket).
    await eventually(async () => {
      const page = await bob.history('lobby');
      return page.body.some((m: { content: string }) => m.content === 'hello, edited') ? true : undefined;
    }, 'history with the edit');

    // A second profile copy must fold a user from the log (a filtered consumer on the user's
    // events); a second gateway looks up authors it has not seen (direct get of profile events).
    const profile2 = await startProfile(stack.envFor({ NATS_USER: 'profile', NATS_PASSWORD: nats.passwords.profile }));
    try {
      for (let i = 0; i < 6; i++) {
        const res = await ann.request<UserView>('PATCH', `/users/${ann.id}`, { username: `Ann ${i}` });
        expect(res.status).toBe(200);
      }
    } finally {
      await profile2.running.stop();
    }
    const other = await stack.startGateway();
    const sb2 = await bob.connect('lobby', {}, other.wsUrl);
    await sb2.ready();
    expect((await ann.post('lobby', 'to the second gateway', { client_msg_id: 'lp-2' })).status).toBe(201);
    await sb2.until(() => sb2.messages().some((m) => m.content === 'to the second gateway' && m.username === 'Ann 5'), 'the author looked up');

    // Invitations: the room service serves the decline, the projection the invitee's list.
    expect((await ann.request('POST', '/rooms', { id: 'lp-secret', name: 'Secret', visibility: 'private' })).status).toBe(201);
    expect((await ann.request('POST', '/rooms/lp-secret/invite', { invitee: bob.id })).status).toBe(200);
    await eventually(async () => {
      const list = await bob.request<{ room_id: string }[]>('GET', '/me/invitations');
      return list.body.some((i) => i.room_id === 'lp-secret') ? true : undefined;
    }, 'the invitation listed');
    expect((await bob.request('POST', '/rooms/lp-secret/decline', {})).body.declined).toBe(true);

    for (const socket of [sa, sb, sb2]) socket.close();
    // Nothing the system did was refused: every subject it uses is in auth.conf.
    expect(nats.violations()).toEqual([]);
  }, 60_000);

  it('lets room and profile fold their aggregates from the log as their own users (what a cold copy does)', async () => {
    // The test above reaches these reads only when a request lands on a copy that has not seen
    // the aggregate yet; here they are run directly, through the same EventStore, as each user.
    const cy = await TestUser.register(stack, 'Cy');
    expect((await cy.join('reads')).status).toBe(200);
    const posted = await cy.post('reads', 'first', { client_msg_id: 'reads-1' });
    expect((await cy.request('PATCH', `/rooms/reads/messages/${posted.body.id}`, { content: 'second' })).status).toBe(200);

    const room = await EventStore.open(await nats.as('room'), s.stream);
    expect((await room.read(s.events.room('reads'))).events.map((e) => e.event.type)).toEqual(['RoomCreated', 'UserJoined']);
    expect((await room.read(s.events.messageChanges('reads', posted.body.id))).events.map((e) => e.event.type)).toEqual(['MessageEdited']);
    expect((await room.get(posted.body.seq)).event.type).toBe('MessagePosted');
    const profile = await EventStore.open(await nats.as('profile'), s.stream);
    expect((await profile.read(s.events.user(cy.id))).events.map((e) => e.event.type)).toEqual(['UserRegistered']);
    // A filtered read outside its own aggregates is refused: the filter is part of the subject.
    const err = await profile.read(s.events.room('reads')).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isPermissionDenied(err), String(err)).toBe(true);
  });

  it('hands the projection lease over to a new copy (a released lease is read back before it is taken)', async () => {
    const refusedBefore = nats.violations().length;
    const dee = await TestUser.register(stack, 'Dee');
    expect((await dee.join('handover')).status).toBe(200);
    // Stopping releases the lease (a delete marker); the next copy must read it to take it.
    await stack.stopProjection();
    const next = await stack.startProjection();
    try {
      expect((await dee.post('handover', 'after the handover', { client_msg_id: 'handover-1' })).status).toBe(201);
      await eventually(
        async () => ((await dee.history('handover')).body.some((m: { content: string }) => m.content === 'after the handover') ? true : undefined),
        'the new projection copy applying',
        15_000,
      );
      expect(nats.violations().slice(refusedBefore)).toEqual([]);
    } finally {
      await next.stop();
    }
  }, 30_000);

  it('refuses an event appended by the gateway or the projection (no ack), and accepts one from the room service', async () => {
    const before = await logMessages();
    for (const user of ['gateway', 'projection'] as const) {
      const nc = await nats.as(user);
      // With a JetStream publish the server refuses the subject and no ack comes.
      const err = await jetstream(nc)
        .publish(s.events.messages('lobby'), forged('lobby', 'u_intruder'), { msgID: nuid.next() })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err, `${user} appended an event`).not.toBeNull();
      expect(isPermissionDenied(err), `${user}: ${String(err)}`).toBe(true);
      // A plain publish is dropped by the server as well.
      nc.publish(s.events.messages('lobby'), forged('lobby', 'u_intruder'));
      await nc.flush();
    }
    // The profile service appends user events only, never a room's.
    const profileErr = await jetstream(await nats.as('profile'))
      .publish(s.events.messages('lobby'), forged('lobby', 'u_intruder'))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isPermissionDenied(profileErr)).toBe(true);

    // The same publish as the room service reaches the stream: here it is refused by JetStream
    // itself (wrong expected sequence), which shows the refusals above were the permissions.
    const roomErr = await jetstream(await nats.as('room'))
      .publish(s.events.messages('lobby'), forged('lobby', 'u_intruder'), { expect: { lastSubjectSequence: 999_999_999 } })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(roomErr).toBeInstanceOf(JetStreamApiError);
    expect(isPermissionDenied(roomErr)).toBe(false);

    await new Promise((r) => setTimeout(r, 300));
    expect(await logMessages()).toBe(before);
    for (const user of ['gateway', 'projection', 'profile']) {
      expect(nats.violations().some((line) => line.includes(`Publish Violation - User "${user}", Subject "${s.events.messages('lobby')}"`))).toBe(true);
    }
  });

  it("refuses the gateway the JetStream API it does not need: the log's stream, and any stream that could write into it", async () => {
    const gw = await nats.as('gateway');
    const jsm = await jetstreamManager(gw);
    const denied = async (what: string, op: () => Promise<unknown>) => {
      const err = await op().then(
        () => null,
        (e: unknown) => e,
      );
      expect(isPermissionDenied(err), `${what}: ${String(err)}`).toBe(true);
    };
    const before = await logMessages();
    await denied('delete the log', () => jsm.streams.delete(s.stream));
    await denied('purge the log', () => jsm.streams.purge(s.stream));
    await denied('delete one event', () => jsm.streams.deleteMessage(s.stream, 1));
    await denied('change the log', () => jsm.streams.update(s.stream, { subjects: [s.events.all, `${ns}.cmd.>`] }));
    // By subject it reads a user's last profile event and a room's last membership event and post
    // (what a read must reflect), nothing else.
    await denied('read any event by subject', () => jsm.direct.getMessage(s.stream, { last_by_subj: s.events.readMarkers('u_someone') }));
    await denied('read an edit by subject', () => jsm.direct.getMessage(s.stream, { last_by_subj: s.events.messageChanges('lobby', 'm_1') }));
    // A stream that republishes what it stores into the event log would be an append by another
    // door: the gateway may create no stream at all, not even its own bucket's.
    const republishing = {
      name: `KV_${s.presenceBucket}`,
      subjects: [`$KV.${s.presenceBucket}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      republish: { src: `$KV.${s.presenceBucket}.>`, dest: `${ns}.evt.msg.>` },
    };
    await denied('replace its bucket', () => jsm.streams.update(republishing.name, republishing));
    await denied('create a stream', () => jsm.streams.add({ ...republishing, name: 'SIDE_DOOR', subjects: ['side.>'] }));
    // What it may do, it can: the log's info.
    expect((await jsm.streams.info(s.stream)).config.name).toBe(s.stream);
    expect(await logMessages()).toBe(before);
    await expect((await jetstreamManager(stack.nc)).streams.info('SIDE_DOOR')).rejects.toThrow(/not found/);

    // Nor may it read another user's replies.
    const snoop = gw.subscribe('_INBOX_room.>');
    const closed = await Promise.race([snoop.closed, new Promise((r) => setTimeout(() => r('still open'), 2000))]);
    expect(closed).toBeInstanceOf(Error);
    expect(isPermissionDenied(closed)).toBe(true);
  });

  it('cannot write into the log through a push consumer of its presence bucket: nothing subscribes to the event subjects', async () => {
    // nats-server does not check a push consumer's deliver subject against its creator's
    // permissions (2.9 at least), so the gateway can point one of its bucket at an event subject.
    // JetStream delivers only where someone subscribes, and nothing does (the room copies tell
    // each other on notice subjects instead), so nothing arrives in the log.
    const gw = await nats.as('gateway');
    const gwm = await jetstreamManager(gw);
    const bucket = `KV_${s.presenceBucket}`;
    const key = `$KV.${s.presenceBucket}.side-door.u_intruder.c1`;
    const target = s.events.room('side-door');
    const created = await gwm.consumers
      .add(bucket, { name: 'side_door', deliver_subject: target, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.New, filter_subject: key })
      .then(
        () => true,
        () => false, // a server that checks the deliver subject refuses it: as good
      );
    const before = await logMessages();
    await jetstream(gw).publish(key, forged('side-door', 'u_intruder'));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await logMessages()).toBe(before);
    if (created) {
      // Why the rule matters: once someone subscribes there (an operator's `nats sub`, say), the
      // same consumer does write into the log.
      const watcher = stack.nc.subscribe(target);
      await stack.nc.flush();
      await eventually(async () => {
        await jetstream(gw).publish(key, 'not an event');
        await new Promise((r) => setTimeout(r, 200));
        return (await logMessages()) > before ? true : undefined;
      }, 'a delivery captured once there is a subscriber');
      watcher.unsubscribe();
      await gwm.consumers.delete(bucket, 'side_door');
    }
  });

  it('refuses a client without credentials, or with a wrong password', async () => {
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 2000 })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 2000, user: 'gateway', pass: 'pwrong' })).rejects.toThrow(/authorization/i);
  });
});
