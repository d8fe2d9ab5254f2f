import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EmojiInput,
  AppError,
  AvatarInput,
  ChatEvent,
  ClientFrame,
  ExternalAvatarUrl,
  HistoryQuery,
  MessageContent,
  Username,
  avatarUrl,
  customAvatarPath,
  isPlaceholderAvatar,
  parseEvent,
  subjects,
  upcast,
} from './index.ts';

describe('subjects', () => {
  const s = subjects('chat');

  it('builds subjects for valid ids', () => {
    expect(s.events.room('lobby_1-A')).toBe('chat.evt.room.lobby_1-A');
    expect(s.live.typing('lobby')).toBe('chat.live.typing.lobby');
  });

  it.each(['a.>', '*', '>', 'a b', 'a.b', '', 'x'.repeat(65), 'tab\t', 'ü'])('refuses the id %j with a 400', (id) => {
    try {
      s.events.room(id);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).status).toBe(400);
    }
  });

  it('keeps command, query and live subjects out of the event stream', () => {
    for (const subject of Object.values(s.rpc)) expect(subject.startsWith('chat.evt.')).toBe(false);
    expect(s.live.typing('lobby').startsWith('chat.evt.')).toBe(false);
    expect(s.notices.allRooms.startsWith('chat.evt.')).toBe(false);
    expect(s.notices.room('lobby')).toBe('chat.note.room.lobby');
  });

  it('refuses a namespace NATS would misread', () => {
    expect(() => subjects('a.b')).toThrow();
    expect(() => subjects('Chat')).toThrow();
  });
});

describe('usernames', () => {
  it('trims and NFC-normalises', () => {
    expect(Username.parse('  Ann  ')).toBe('Ann');
    expect(Username.parse('e\u0301lodie')).toBe('\u00e9lodie');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(Username.safeParse('😀'.repeat(32)).success).toBe(true);
    expect(Username.safeParse('😀'.repeat(33)).success).toBe(false);
  });

  it.each(['', '   ', 'a\u0000b', 'line\nbreak', 'bidi\u202eevil', 'x'.repeat(33)])('refuses %j', (name) => {
    expect(Username.safeParse(name).success).toBe(false);
  });
});

describe('avatars', () => {
  it('accepts only absolute http(s) URLs up to 2048 characters', () => {
    expect(ExternalAvatarUrl.safeParse('https://cdn.example.com/a.png').success).toBe(true);
    for (const bad of ['javascript:alert(1)', 'data:image/png;base64,AAAA', 'ftp://x/a.png', '/relative.png', `https://e.com/${'a'.repeat(2048)}`]) {
      expect(ExternalAvatarUrl.safeParse(bad).success).toBe(false);
    }
  });

  it('recognises generic placeholder services', () => {
    expect(isPlaceholderAvatar('https://i.pravatar.cc/150?u=abc')).toBe(true);
    expect(isPlaceholderAvatar('https://www.gravatar.com/avatar/x')).toBe(true);
    expect(isPlaceholderAvatar('https://cdn.example.com/pravatar.cc.png')).toBe(false);
  });

  it('always yields a URL: custom, external or the generated default', () => {
    expect(avatarUrl(null, 'u1')).toBe('/avatars/default/u1.svg');
    expect(avatarUrl({ kind: 'external', url: 'https://e.com/a.png' }, 'u1')).toBe('https://e.com/a.png');
    expect(avatarUrl({ kind: 'custom', key: 'a'.repeat(64) }, 'u1')).toBe(`/avatars/${'a'.repeat(64)}.webp`);
    expect(customAvatarPath('a'.repeat(64), 64)).toBe(`/avatars/${'a'.repeat(64)}-64.webp`);
  });

  it('lets a command ask for an external avatar or an upload, never name a stored key', () => {
    expect(AvatarInput.safeParse({ kind: 'external', url: 'https://e.com/a.png' }).success).toBe(true);
    // The URL parser takes these (dropping or encoding the characters); a command may not.
    for (const url of ['https://e.com/a\u0000', '\u0000https://e.com/a', 'https://e.com/a\u0085b', 'https://e.com/a\u0007']) {
      expect(AvatarInput.safeParse({ kind: 'external', url }).success).toBe(false);
    }
    expect(AvatarInput.safeParse({ kind: 'upload', object: 'ABC123', size: 10 }).success).toBe(true);
    expect(AvatarInput.safeParse({ kind: 'custom', key: 'a'.repeat(64) }).success).toBe(false);
    expect(AvatarInput.safeParse({ kind: 'upload', object: '../etc', size: 10 }).success).toBe(false);
  });
});

describe('messages and frames', () => {
  it('trims content and bounds it', () => {
    expect(MessageContent.parse('  hi ')).toBe('hi');
    expect(MessageContent.safeParse(' \n ').success).toBe(false);
    expect(MessageContent.safeParse('x'.repeat(4000)).success).toBe(true);
    expect(MessageContent.safeParse('x'.repeat(4001)).success).toBe(false);
  });

  it('knows the client frame types and nothing else', () => {
    expect(ClientFrame.safeParse({ type: 'ping' }).success).toBe(true);
    expect(ClientFrame.safeParse({ type: 'resume', since: 3 }).success).toBe(true);
    expect(ClientFrame.safeParse({ type: 'resume', since: -1 }).success).toBe(false);
    expect(ClientFrame.safeParse({ type: 'shout' }).success).toBe(false);
  });

  it('reads history queries from strings and caps the limit', () => {
    expect(HistoryQuery.parse({ before: '10', limit: '5' })).toEqual({ before: 10, limit: 5 });
    expect(HistoryQuery.parse({})).toEqual({ limit: 50 });
    expect(HistoryQuery.safeParse({ limit: '101' }).success).toBe(false);
    expect(HistoryQuery.safeParse({ before: '1', after: '2' }).success).toBe(false);
  });
});

describe('events on read', () => {
  const valid = {
    id: 'e1',
    type: 'UserJoined',
    version: 1,
    occurred_at: '2026-01-01T00:00:00.000Z',
    data: { room_id: 'lobby', user_id: 'ann' },
    meta: { correlation_id: 'c', causation_id: null, actor: 'ann' },
  };

  it('accepts a stored event that matches its schema', () => {
    expect(parseEvent(valid).success).toBe(true);
  });

  it('rejects unknown types, versions and malformed data', () => {
    expect(parseEvent({ ...valid, type: 'UserTeleported' }).success).toBe(false);
    expect(parseEvent({ ...valid, version: 9 }).success).toBe(false);
    expect(parseEvent({ ...valid, data: { room_id: 'a.b', user_id: 'ann' } }).success).toBe(false);
  });

  it('reads a MessagePosted by its fast path exactly as its schema does, whatever the event holds', () => {
    // Values near each rule's edges, of the right type and of wrong ones.
    const text = fc.oneof(
      fc.constantFrom('', ' ', 'a', ' hi ', '\t\n', 'a.b', 'a b', 'ü', 'x'.repeat(64), 'x'.repeat(65), 'y'.repeat(128), 'y'.repeat(129), ' '.repeat(4001)),
      fc.constantFrom(
        `${'z'.repeat(4000)} `,
        'z'.repeat(4001),
        '\u00a0ok\u2028',
        '2026-01-01T00:00:00Z',
        '2026-02-29T00:00:00.000Z',
        '2026-01-01T00:00:00+01:00',
      ),
      fc.string({ maxLength: 70 }),
      fc.stringMatching(/^[A-Za-z0-9_-]{0,66}$/),
    );
    const anything = fc.oneof(text, fc.constantFrom(null, undefined, 0, 1, 2, true, [], {}, ['a']));
    const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 30, arbitrary: good }, { weight: 1, arbitrary: anything });
    const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    const maybe = (key: string, value: fc.Arbitrary<unknown>) =>
      fc.oneof({ weight: 30, arbitrary: value.map((v) => ({ [key]: v })) }, { weight: 1, arbitrary: fc.constant({}) });
    const record = (parts: fc.Arbitrary<Record<string, unknown>>[]) => fc.tuple(...parts).map((ps) => Object.assign({}, ...ps) as Record<string, unknown>);
    const event = record([
      maybe('id', field(fc.string({ minLength: 1, maxLength: 64 }))),
      maybe('type', field(fc.constantFrom('MessagePosted', 'MessagePosted', 'MessagePosted', 'UserJoined'))),
      maybe('version', field(fc.constantFrom(1, 1, 1, 2))),
      maybe('occurred_at', field(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()))),
      maybe('extra', anything),
      maybe(
        'data',
        field(
          record([
            maybe('room_id', field(id)),
            maybe('message_id', field(id)),
            maybe('user_id', field(id)),
            maybe('content', field(fc.string({ maxLength: 20 }))),
            maybe('client_msg_id', field(fc.option(id))),
            maybe('extra', anything),
          ]),
        ),
      ),
      maybe(
        'meta',
        field(
          record([
            maybe('correlation_id', field(fc.string({ minLength: 1, maxLength: 128 }))),
            maybe('causation_id', field(fc.option(fc.string({ maxLength: 128 })))),
            maybe('actor', field(fc.option(fc.string({ maxLength: 64 })))),
          ]),
        ),
      ),
    ]);
    const same = (raw: unknown) => {
      const schema = ChatEvent.safeParse(upcast(raw));
      const read = parseEvent(raw);
      expect(read.success).toBe(schema.success);
      // The same event, down to the order of its keys.
      if (schema.success) expect(JSON.stringify(read.data)).toBe(JSON.stringify(schema.data));
      if (schema.success) expect(read.data).toStrictEqual(schema.data);
      return schema.success;
    };
    // Each field of a valid post set, one at a time, to each value near the rules' edges.
    const post = {
      id: 'e1',
      type: 'MessagePosted',
      version: 1,
      occurred_at: '2026-01-01T00:00:00.000Z',
      data: { room_id: 'lobby', message_id: 'm1', user_id: 'ann', content: ' hi ', client_msg_id: null },
      meta: { correlation_id: 'c', causation_id: null, actor: 'ann' },
    };
    const edges = [
      ...['', ' ', 'a', ' hi ', '\t\n', 'a.b', 'a b', 'ü', 'x'.repeat(64), 'x'.repeat(65), 'y'.repeat(128), 'y'.repeat(129), ' '.repeat(4001)],
      ...[`${'z'.repeat(4000)} `, 'z'.repeat(4001), '\u00a0ok\u2028', '2026-01-01T00:00:00Z', '2026-02-29T00:00:00.000Z', '2026-01-01T00:00:00+01:00'],
      ...[null, undefined, 0, 1, 2, true, [], {}, ['a'], 'MessageEdited'],
    ];
    let accepted = 0;
    for (const [part, keys] of [
      [null, ['id', 'type', 'version', 'occurred_at', 'data', 'meta']],
      ['data', Object.keys(post.data)],
      ['meta', Object.keys(post.meta)],
    ] as const) {
      for (const key of keys) {
        for (const value of edges) {
          const raw: Record<string, unknown> = structuredClone(post);
          (part === null ? raw : (raw[part] as Record<string, unknown>))[key] = value;
          if (same(raw)) accepted++;
        }
      }
    }
    expect(accepted).toBeGreaterThan(50);
    accepted = 0;
    fc.assert(
      fc.property(event, (raw) => {
        if (same(raw)) accepted++;
      }),
      { numRuns: 10_000 },
    );
    // The generator reaches valid events too, not only refusals.
    expect(accepted).toBeGreaterThan(300);
  });
});

describe('emoji for reactions', () => {
  it.each(['👍', '🎉', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '1️⃣', '❤️', '🫠'])('accepts %s', (emoji) => {
    expect(EmojiInput.safeParse(emoji).success).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['a', 'a letter'],
    ['1', 'a digit'],
    ['👍👍', 'two emojis'],
    ['👍 ', 'a trailing space'],
    ['\u0000', 'NUL'],
    ['👍\u202e', 'a bidi override'],
    ['👨‍👩‍👧‍👦'.repeat(2), 'two long sequences'],
    ['😀'.repeat(100), 'far too long'],
    [`👍${'\u{e0041}'.repeat(10)}`, 'one grapheme of more than 32 bytes'],
  ])('refuses %j (%s)', (emoji) => {
    expect(EmojiInput.safeParse(emoji).success).toBe(false);
  });
});
