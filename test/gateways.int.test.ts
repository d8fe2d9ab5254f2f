import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceFrame, ServerFrame } from '@chat/contracts';
import { startStack, type Stack } from './support/stack.ts';
import { type LiveSocket, TestUser } from './support/client.ts';
import { spawnGateway, type ServiceProcess } from './support/process.ts';

let stack: Stack;
let other: ServiceProcess;
beforeAll(async () => {
  stack = await startStack();
  other = await spawnGateway(stack);
});
afterAll(async () => {
  await other?.kill('SIGTERM');
  await stack?.stop();
});

/** The online set a client computes from a snapshot and the diffs after it. */
function onlineFrom(frames: ServerFrame[]): Set<string> {
  const online = new Set<string>();
  let seq = -1;
  for (const f of frames) {
    if (f.type !== 'presence') continue;
    const p = f as PresenceFrame;
    if (p.online) {
      online.clear();
      for (const u of p.online) online.add(u);
    } else {
      expect(p.seq).toBe(seq + 1);
      for (const u of p.joined ?? []) online.add(u);
      for (const u of p.left ?? []) online.delete(u);
    }
    seq = p.seq;
  }
  return online;
}

const sameSet = (a: Set<string>, b: string[]) => a.size === b.length && b.every((x) => a.has(x));

describe('several gateways', () => {
  it('sockets on each gateway receive what is posted through the other', async () => {
    const [a, b] = await TestUser.registerAll(stack, ['OnFirst', 'OnSecond']);
    await a.join('bridge');
    await b.join('bridge');
    const sa = await a.connect('bridge');
    const sb = await b.connect('bridge', {}, other.wsUrl);
    await Promise.all([sa.ready(), sb.ready()]);
    sa.send({ type: 'message', content: 'from the first gateway' });
    sb.send({ type: 'message', content: 'from the second gateway' });
    for (const s of [sa, sb]) {
      await s.until(() => ['from the first gateway', 'from the second gateway'].every((c) => s.messages().some((m) => m.content === c)), 'both messages');
    }
    expect(
      sa
        .messages()
        .filter((m) => m.type === 'text')
        .map((m) => m.id),
    ).toEqual(
      sb
        .messages()
        .filter((m) => m.type === 'text')
        .map((m) => m.id),
    );
    sa.close();
    sb.close();
  });

  it('typing reaches the others on both gateways, not the sender, and is never stored', async () => {
    const [a, b, c] = await TestUser.registerAll(stack, ['Typist', 'WatcherOne', 'WatcherTwo']);
    for (const u of [a, b, c]) await u.join('typing');
    const sa = await a.connect('typing');
    const sb = await b.connect('typing');
    const sc = await c.connect('typing', {}, other.wsUrl);
    await Promise.all([sa, sb, sc].map((s) => s.ready()));
    for (let i = 0; i < 5; i++) sa.send({ type: 'typing' });
    const typingFrom = (s: LiveSocket) => s.frames.filter((f) => f.type === 'typing');
    await sb.until(() => typingFrom(sb).length > 0, 'typing at B');
    await sc.until(() => typingFrom(sc).length > 0, 'typing at C');
    sa.send({ type: 'ping' });
    await sa.until((f) => f.some((x) => x.type === 'pong'), 'pong');
    await new Promise((r) => setTimeout(r, 200));
    expect(typingFrom(sa)).toHaveLength(0);
    // Throttled: five in a burst become one.
    expect(typingFrom(sb)).toEqual([{ type: 'typing', room_id: 'typing', user_id: a.id }]);
    expect((await a.history('typing')).body.filter((m) => m.type === 'text')).toHaveLength(0);
    for (const s of [sa, sb, sc]) s.close();
  });

  it('presence on both shows the users of both, tabs count once, and a SIGKILLed gateway’s users leave within the lease', async () => {
    const victim = await spawnGateway(stack);
    const [a, b, c] = await TestUser.registerAll(stack, ['Here', 'There', 'Doomed']);
    for (const u of [a, b, c]) await u.join('lobby');
    const sa = await a.connect('lobby');
    const sb1 = await b.connect('lobby', {}, other.wsUrl);
    const sb2 = await b.connect('lobby', {}, other.wsUrl);
    const _sc = await c.connect('lobby', {}, victim.wsUrl);
    const everyone = [a.id, b.id, c.id].sort();
    await sa.until((f) => sameSet(onlineFrom(f), everyone), 'all three online at A', 10_000);
    await sb1.until((f) => sameSet(onlineFrom(f), everyone), 'all three online at B', 10_000);
    const rest = await a.request('GET', '/rooms/lobby/presence');
    expect(rest.body).toEqual({ room_id: 'lobby', online: everyone });

    // One of two tabs closing changes nothing.
    sb2.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(sameSet(onlineFrom(sa.frames), everyone)).toBe(true);

    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    const survivors = [a.id, b.id].sort();
    await sa.until((f) => sameSet(onlineFrom(f), survivors), 'the killed gateway’s user gone at A', 20_000);
    await sb1.until((f) => sameSet(onlineFrom(f), survivors), 'the killed gateway’s user gone at B', 20_000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(15_000);
    sa.close();
    sb1.close();
  }, 40_000);

  it('leaving ends the user’s live subscription on every gateway at once', async () => {
    const [a, b] = await TestUser.registerAll(stack, ['Stayer', 'Goer']);
    await a.join('door');
    await b.join('door');
    const here = await b.connect('door');
    const there = await b.connect('door', {}, other.wsUrl);
    const watcher = await a.connect('door');
    await Promise.all([here.ready(), there.ready(), watcher.ready()]);
    await b.request('POST', '/rooms/door/leave', {});
    expect(await here.closed()).toBe(4403);
    expect(await there.closed()).toBe(4403);
    await watcher.until((f) => f.some((x) => x.type === 'member_left' && x.user_id === b.id), 'member_left');
    await a.post('door', 'after the leave');
    await watcher.until(() => watcher.messages().some((m) => m.content === 'after the leave'), 'later message');
    expect(here.messages().some((m) => m.content === 'after the leave')).toBe(false);
    watcher.close();
  });
});
