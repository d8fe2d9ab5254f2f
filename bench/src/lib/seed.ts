import { ensureEventStream, headers as natsHeaders, jetstream, jetstreamManager, type NatsConnection, nuid, type PubAck, wrapEvent } from '@chat/bus';
import type { ChatEvent, EventDraft, Subjects } from '@chat/contracts';

const encoder = new TextEncoder();

/**
 * Writes a room's history straight into the event log, as the services would have: users
 * registered, a room created and joined, then `messages` posts, round-robin by author. Every
 * envelope is built from one validated by the contracts' schema (`wrapEvent`), with its own ids
 * and content. The few setup events are acked publishes; the posts are pipelined core publishes
 * on the stream's subject (JetStream stores them all the same, at many times the rate of waiting
 * for each ack), never more than `window` ahead of what the stream has stored, and the stream's
 * own count must come out exact.
 */
export async function seedRoom(
  nc: NatsConnection,
  s: Subjects,
  opts: { roomId: string; users: number; messages: number; window?: number },
): Promise<{ firstSeq: number; lastSeq: number; events: number; ms: number }> {
  await ensureEventStream(await jetstreamManager(nc), s);
  const js = jetstream(nc);
  const started = performance.now();
  const meta = { correlation_id: 'bench-seed', causation_id: null, actor: null };
  const now = new Date();
  const userIds = Array.from({ length: opts.users }, (_, i) => `u_seed${i}`);
  const setup: [string, ChatEvent][] = [
    ...userIds.map(
      (id, i) =>
        [s.events.user(id), wrapEvent({ type: 'UserRegistered', data: { user_id: id, username: `seed ${i}`, avatar: null } } as EventDraft, now, meta)] as [
          string,
          ChatEvent,
        ],
    ),
    [
      s.events.room(opts.roomId),
      wrapEvent({ type: 'RoomCreated', data: { room_id: opts.roomId, name: 'History', created_by: userIds[0]! } } as EventDraft, now, {
        ...meta,
        actor: userIds[0]!,
      }),
    ],
    ...userIds.map(
      (id) =>
        [
          s.events.room(opts.roomId),
          wrapEvent({ type: 'UserJoined', data: { room_id: opts.roomId, user_id: id } } as EventDraft, now, { ...meta, actor: id }),
        ] as [string, ChatEvent],
    ),
  ];
  const template = wrapEvent(
    {
      type: 'MessagePosted',
      data: { room_id: opts.roomId, message_id: 'm_template', user_id: userIds[0]!, content: 'template', client_msg_id: null },
    } as EventDraft,
    now,
    meta,
  );
  const messageSubject = s.events.messages(opts.roomId);
  const window = 500;
  let inFlight = 0;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  let firstSeq = 0;
  let lastSeq = 0;
  const settled = () => {
    inFlight--;
    if (wake && (inFlight < window / 2 || inFlight === 0)) {
      const w = wake;
      wake = null;
      w();
    }
  };
  const drain = (below: number) => (inFlight > below ? new Promise<void>((r) => (wake = r)) : Promise.resolve());
  const publish = async (subject: string, event: ChatEvent) => {
    const h = natsHeaders();
    h.set('Chat-Event-Type', event.type);
    inFlight++;
    js.publish(subject, encoder.encode(JSON.stringify(event)), { headers: h }).then(
      (ack: PubAck) => {
        if (!firstSeq || ack.seq < firstSeq) firstSeq = ack.seq;
        if (ack.seq > lastSeq) lastSeq = ack.seq;
        settled();
      },
      (err: unknown) => {
        failure ??= err;
        settled();
      },
    );
    if (inFlight >= window) await drain(window / 2);
    if (failure) throw failure;
  };
  const flush = async () => {
    while (inFlight > 0) await drain(0);
    if (failure) throw failure;
  };
  for (const [subject, event] of setup) await publish(subject, event);
  await flush();
  const jsm = await jetstreamManager(nc);
  const stored = async () => (await jsm.streams.info(s.stream)).state;
  const base = (await stored()).messages;
  const ahead = opts.window ?? 20_000;
  for (let i = 0; i < opts.messages; i++) {
    if (i % 2000 === 0 && i > 0) {
      await nc.flush();
      while (base + i - (await stored()).messages > ahead) await new Promise((r) => setTimeout(r, 20));
    }
    const author = userIds[i % userIds.length]!;
    const event = {
      ...template,
      id: nuid.next(),
      meta: { ...meta, actor: author },
      data: {
        room_id: opts.roomId,
        message_id: `m_${nuid.next()}`,
        user_id: author,
        content: `history message ${i} ${'lorem ipsum '.repeat(1 + (i % 8))}`.trim(),
        client_msg_id: null,
      },
    } as ChatEvent;
    const h = natsHeaders();
    h.set('Chat-Event-Type', event.type);
    nc.publish(messageSubject, encoder.encode(JSON.stringify(event)), { headers: h });
  }
  await nc.flush();
  const deadline = Date.now() + 120_000;
  let state = await stored();
  while (state.messages < base + opts.messages && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    state = await stored();
  }
  if (state.messages !== base + opts.messages) throw new Error(`seed: the stream holds ${state.messages - base} of ${opts.messages} posts`);
  lastSeq = state.last_seq;
  return { firstSeq, lastSeq, events: setup.length + opts.messages, ms: performance.now() - started };
}

/** Reads every event of the stream with an ordered consumer (no decoding): the raw read rate, and this process's CPU time for it. */
export async function rawRead(nc: NatsConnection, stream: string, lastSeq: number): Promise<{ events: number; ms: number; cpuMs: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.consume({ max_messages: 2000 });
  let n = 0;
  for await (const m of messages) {
    n++;
    if (m.seq >= lastSeq) break;
  }
  messages.stop();
  const used = process.cpuUsage(cpu);
  return { events: n, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}
