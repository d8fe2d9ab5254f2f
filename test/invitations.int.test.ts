import { type InvitationView, type MyRoomView, type RoomView, ServerFrame } from '@chat/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveSocket, TestUser } from './support/client.ts';
import { type Stack, startStack } from './support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const createPrivate = (u: TestUser, id: string, name = `Room ${id}`) => u.request<RoomView>('POST', '/rooms', { id, name, visibility: 'private' });
const invite = (u: TestUser, roomId: string, invitee: string) => u.request('POST', `/rooms/${roomId}/invite`, { invitee });
const decline = (u: TestUser, roomId: string) => u.request('POST', `/rooms/${roomId}/decline`, {});
const invitations = async (u: TestUser, query = '') => {
  const res = await u.request<InvitationView[]>('GET', `/me/invitations${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const roomIds = async (u: TestUser) => (await u.request<MyRoomView[]>('GET', '/me/rooms')).body.map((r) => r.id);
type Invited = Extract<ServerFrame, { type: 'invited' }>;
const invitedFrames = (s: LiveSocket) => s.frames.filter((f): f is Invited => f.type === 'invited');
const welcomed = (s: LiveSocket) => s.until((f) => f.some((x) => x.type === 'welcome'), 'welcome');

describe('invitations: the invitee is told, lists them, joins or declines', () => {
  it('an invitation reaches the invitee’s every device live and their list, with the room’s name and who invited; joining moves it into their rooms', async () => {
    const [ann, bob, cid] = await TestUser.registerAll(stack, ['Ann', 'Bob', 'Cid'] as const);
    await createPrivate(ann, 'inv-plans', 'Q3 plans');
    const phone = await bob.connectMux();
    const laptop = await bob.connectMux();
    const annSocket = await ann.connectMux();
    for (const s of [phone, laptop, annSocket]) await welcomed(s);

    const invited = await invite(ann, 'inv-plans', bob.id);
    expect(invited.body).toMatchObject({ invited: true, invitee: bob.id });
    for (const s of [phone, laptop]) await s.until(() => invitedFrames(s).some((f) => f.room_id === 'inv-plans'), 'the invited frame');
    const frame = invitedFrames(phone).find((f) => f.room_id === 'inv-plans')!;
    // What the contracts say a server frame is, and what the list will say.
    expect(ServerFrame.parse(frame)).toEqual(frame);
    expect(frame).toMatchObject({
      seq: invited.body.seq,
      invitation: { room_id: 'inv-plans', room_name: 'Q3 plans', inviter: { user_id: ann.id, username: 'Ann' }, seq: invited.body.seq },
    });

    const listed = await invitations(bob);
    expect(listed).toEqual([frame.invitation]);
    // Nobody else hears of it, nor lists it.
    expect(invitedFrames(annSocket)).toHaveLength(0);
    expect(await invitations(ann)).toEqual([]);
    expect(await invitations(cid)).toEqual([]);
    // Inviting again says nothing new: no second frame, one item.
    expect((await invite(ann, 'inv-plans', bob.id)).body.invited).toBe(false);

    expect((await bob.join('inv-plans')).status).toBe(200);
    expect(await invitations(bob)).toEqual([]);
    expect(await roomIds(bob)).toContain('inv-plans');
    expect(invitedFrames(phone).filter((f) => f.room_id === 'inv-plans')).toHaveLength(1);

    // Leaving does not bring the invitation back: a new one is needed, and it is listed again.
    await bob.request('POST', '/rooms/inv-plans/leave', {});
    expect(await invitations(bob)).toEqual([]);
    const again = await invite(ann, 'inv-plans', bob.id);
    expect(again.body.invited).toBe(true);
    expect((await invitations(bob)).map((i) => [i.room_id, i.seq])).toEqual([['inv-plans', again.body.seq]]);
    for (const s of [phone, laptop, annSocket]) s.close();
  });

  it('declining: gone from the list and from every device, the join is refused, the room is unknown again, a new invitation works', async () => {
    const [ann, bob] = await TestUser.registerAll(stack, ['Ann', 'Bob'] as const);
    await createPrivate(ann, 'inv-decline');
    const phone = await bob.connectMux();
    await welcomed(phone);
    await invite(ann, 'inv-decline', bob.id);
    expect((await invitations(bob)).map((i) => i.room_id)).toEqual(['inv-decline']);

    const declined = await decline(bob, 'inv-decline');
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ room_id: 'inv-decline', user_id: bob.id, declined: true });
    await phone.until(
      (f) => f.some((x) => x.type === 'invitation_declined' && x.room_id === 'inv-decline' && x.seq === declined.body.seq),
      'invitation_declined',
    );
    expect(await invitations(bob)).toEqual([]);
    expect((await bob.join('inv-decline')).status).toBe(403);
    // Declined, the private room is unknown to Bob again: a second decline (or a leave) cannot probe it.
    expect(await decline(bob, 'inv-decline')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect((await bob.request('POST', '/rooms/inv-decline/leave', {})).status).toBe(404);
    // Declining as a member says nothing new.
    expect((await decline(ann, 'inv-decline')).body.declined).toBe(false);

    expect((await invite(ann, 'inv-decline', bob.id)).body.invited).toBe(true);
    expect((await invitations(bob)).map((i) => i.room_id)).toEqual(['inv-decline']);
    expect((await bob.join('inv-decline')).status).toBe(200);
    phone.close();
  });

  it('newest first, a page at a time (X-Next-Before), each with the inviter’s current name', async () => {
    const [ann, cid, bob] = await TestUser.registerAll(stack, ['Ann', 'Cid', 'Bob'] as const);
    await createPrivate(ann, 'inv-page-1');
    await createPrivate(cid, 'inv-page-2');
    await createPrivate(ann, 'inv-page-3');
    await invite(ann, 'inv-page-1', bob.id);
    await invite(cid, 'inv-page-2', bob.id);
    await invite(ann, 'inv-page-3', bob.id);
    await ann.request('PATCH', `/users/${ann.id}`, { username: 'Annie' });

    const first = await bob.request<InvitationView[]>('GET', '/me/invitations?limit=2');
    expect(first.body.map((i) => i.room_id)).toEqual(['inv-page-3', 'inv-page-2']);
    expect(first.body.map((i) => i.inviter.username)).toEqual(['Annie', 'Cid']);
    const next = first.headers.get('x-next-before');
    expect(next).toBe(String(first.body[1]!.seq));
    expect(first.headers.get('link')).toContain(`/me/invitations?before=${next}`);
    const second = await bob.request<InvitationView[]>('GET', `/me/invitations?limit=2&before=${next}`);
    expect(second.body.map((i) => i.room_id)).toEqual(['inv-page-1']);
    expect(second.headers.get('x-next-before')).toBeNull();
  });

  it('bad input: outsiders cannot invite, public and unknown rooms, someone else’s list, no session, bad pages', async () => {
    const [ann, bob, eve] = await TestUser.registerAll(stack, ['Ann', 'Bob', 'Eve'] as const);
    await createPrivate(ann, 'inv-bad');
    const bobSocket = await bob.connectMux();
    await welcomed(bobSocket);

    // A non-member cannot invite: 403, and the would-be invitee hears of nothing and lists nothing.
    const outsider = await invite(eve, 'inv-bad', bob.id);
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.code).toBe('not_member');
    // A public room needs no invitation; an unknown room cannot be invited to, nor declined.
    await ann.join('inv-public');
    expect((await invite(ann, 'inv-public', bob.id)).status).toBe(400);
    expect((await invite(ann, 'inv-nowhere', bob.id)).status).toBe(404);
    expect((await decline(bob, 'inv-nowhere')).status).toBe(404);
    expect((await decline(bob, 'bad.room')).status).toBe(400);
    expect(await invitations(bob)).toEqual([]);

    await invite(ann, 'inv-bad', bob.id);
    await bobSocket.until(() => invitedFrames(bobSocket).length === 1, 'the one real invitation');
    expect(invitedFrames(bobSocket).map((f) => f.room_id)).toEqual(['inv-bad']);
    // Someone else's list cannot be had: the session decides whose list it is, whatever the query names.
    expect(await invitations(eve, `?user_id=${bob.id}`)).toEqual([]);
    expect((await fetch(`${stack.url}/me/invitations?user_id=${bob.id}`)).status).toBe(401);
    // Nor can someone else's invitation be declined: the session is the invitee.
    expect((await eve.request('POST', '/rooms/inv-bad/decline', { user_id: bob.id })).status).toBe(403);
    expect((await invitations(bob)).map((i) => i.room_id)).toEqual(['inv-bad']);
    for (const q of ['?limit=0', '?limit=501', '?before=-1', '?before=x', '?limit=1.5']) {
      expect((await bob.request('GET', `/me/invitations${q}`)).status, q).toBe(400);
    }
    bobSocket.close();
  });

  it('a rebuilt projection lists the same invitations as the live one', async () => {
    const [ann, bob, cid] = await TestUser.registerAll(stack, ['Ann', 'Bob', 'Cid'] as const);
    for (const id of ['inv-rb-1', 'inv-rb-2', 'inv-rb-3', 'inv-rb-4']) await createPrivate(ann, id);
    await invite(ann, 'inv-rb-1', bob.id); // pending
    await invite(ann, 'inv-rb-2', bob.id); // joined
    await bob.join('inv-rb-2');
    await invite(ann, 'inv-rb-3', bob.id); // declined, then invited again by Cid
    await decline(bob, 'inv-rb-3');
    await invite(ann, 'inv-rb-3', cid.id);
    await cid.join('inv-rb-3');
    await invite(cid, 'inv-rb-3', bob.id);
    await invite(ann, 'inv-rb-4', bob.id); // declined
    await decline(bob, 'inv-rb-4');
    await invite(ann, 'inv-rb-4', cid.id); // pending for Cid
    const live = { bob: await invitations(bob), cid: await invitations(cid) };
    expect(live.bob.map((i) => [i.room_id, i.inviter.user_id])).toEqual([
      ['inv-rb-3', cid.id],
      ['inv-rb-1', ann.id],
    ]);
    expect(live.cid.map((i) => i.room_id)).toEqual(['inv-rb-4']);

    await stack.rebuildFromLog(
      ['invitations', 'members', 'rooms', 'users'],
      async () => expect({ bob: await invitations(bob), cid: await invitations(cid) }).toEqual(live),
      'the rebuilt invitations',
    );
  });
});
