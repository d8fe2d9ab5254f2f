import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '@chat/bus';
import { subjects } from '@chat/contracts';
import { eventually } from '@chat/testkit';
import { startStack, type Stack } from './support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ rooms: 2 });
});
afterAll(async () => {
  await stack?.stop();
});

describe('membership under concurrency', () => {
  it('many concurrent joins through two room-service copies: the member list is complete', async () => {
    const s = subjects(stack.env.namespace);
    const users = Array.from({ length: 60 }, (_, i) => `joiner-${i}`);
    // Requests land on both copies (queue group); each copy serialises per room, the two race.
    const results = await Promise.all(users.map((user_id) => call(stack.nc, s, 'joinRoom', { room_id: 'crowded', user_id }, { timeoutMs: 20_000 })));
    expect(results.filter((r) => r.joined)).toHaveLength(users.length);
    expect(results.filter((r) => r.room_created)).toHaveLength(1);

    const members = await eventually(async () => {
      const list = await call(stack.nc, s, 'members', { room_id: 'crowded' });
      return list.length === users.length ? list : undefined;
    }, 'all members projected');
    expect(members.map((m) => m.user_id).sort()).toEqual([...users].sort());
    const room = await call(stack.nc, s, 'getRoom', { room_id: 'crowded' });
    expect(room.member_count).toBe(users.length);
    // Every join was decided against the state it saw: the log holds one UserJoined per user.
    const again = await Promise.all(users.slice(0, 10).map((user_id) => call(stack.nc, s, 'joinRoom', { room_id: 'crowded', user_id })));
    expect(again.every((r) => !r.joined)).toBe(true);
  });

  it('concurrent joins and leaves settle to the true membership', async () => {
    const s = subjects(stack.env.namespace);
    const users = Array.from({ length: 20 }, (_, i) => `churn-${i}`);
    await Promise.all(users.map((user_id) => call(stack.nc, s, 'joinRoom', { room_id: 'churn', user_id }, { timeoutMs: 20_000 })));
    const leaving = users.filter((_, i) => i % 2 === 0);
    await Promise.all(leaving.map((user_id) => call(stack.nc, s, 'leaveRoom', { room_id: 'churn', user_id }, { timeoutMs: 20_000 })));
    const staying = users.filter((_, i) => i % 2 === 1).sort();
    const members = await eventually(async () => {
      const list = (await call(stack.nc, s, 'members', { room_id: 'churn' })).map((m) => m.user_id).sort();
      return JSON.stringify(list) === JSON.stringify(staying) ? list : undefined;
    }, 'membership settles');
    expect(members).toEqual(staying);
    for (const user_id of leaving) expect((await call(stack.nc, s, 'membership', { room_id: 'churn', user_id })).member).toBe(false);
  });
});
