import { connect, jetstreamManager, type NatsConnection, Objm } from '@chat/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import sharp from 'sharp';
import { subjects, type ServerFrame, type UserView } from '@chat/contracts';
import { dataUrl, testImages } from '@chat/testkit';
import { startStack, type Stack } from './support/stack.ts';
import { TestUser, http } from './support/client.ts';

const MiB = 1024 * 1024;
const PLACEHOLDER = (id: string) => `https://i.pravatar.cc/150?u=${id}`;
const CUSTOM_URL = /^\/avatars\/([a-f0-9]{64})\.webp$/;

/** What the tests look at besides HTTP: the stored avatars, the event log and the staged uploads. */
class Probe {
  private constructor(
    readonly stack: Stack,
    readonly nc: NatsConnection,
    readonly db: pg.Client,
  ) {}

  static async open(stack: Stack): Promise<Probe> {
    const db = new pg.Client({ connectionString: stack.env.databaseUrl });
    await db.connect();
    return new Probe(stack, await connect({ servers: stack.env.natsUrl }), db);
  }

  async storedAvatars(): Promise<number> {
    return Number((await this.db.query('SELECT count(*) AS n FROM profile.avatars')).rows[0].n);
  }

  async events(): Promise<number> {
    return (await (await jetstreamManager(this.nc)).streams.info(subjects(this.stack.env.namespace).stream)).state.messages;
  }

  /** Staged uploads still there: none once every request has answered. */
  async stagedUploads(): Promise<number> {
    const os = await new Objm(this.nc).open(subjects(this.stack.env.namespace).uploads);
    return (await os.list()).filter((o) => !o.deleted).length;
  }

  async close(): Promise<void> {
    await this.nc.close();
    await this.db.end();
  }
}

async function put(user: TestUser, body: Uint8Array | FormData, contentType?: string, as: TestUser = user) {
  const res = await fetch(`${user.stack.url}/users/${user.id}/avatar`, {
    method: 'PUT',
    headers: { ...(as.token ? { authorization: `Bearer ${as.token}` } : {}), ...(contentType ? { 'content-type': contentType } : {}) },
    body: body instanceof FormData ? body : Buffer.from(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const formWith = (bytes: Uint8Array, type = 'image/png', field = 'avatar', filename = 'me.png') => {
  const form = new FormData();
  form.append('caption', 'my new face');
  form.append(field, new Blob([bytes], { type }), filename);
  return form;
};

async function getImage(stack: Stack, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const sizeOf = async (bytes: Buffer) => {
  const meta = await sharp(bytes).metadata();
  return { format: meta.format, width: meta.width, height: meta.height };
};

describe('avatar uploads (AUTH_MODE=token)', () => {
  let stack: Stack;
  let probe: Probe;
  beforeAll(async () => {
    stack = await startStack();
    probe = await Probe.open(stack);
  });
  afterAll(async () => {
    await probe?.close();
    await stack?.stop();
  });

  it.each([
    ['png', 'image/png'],
    ['jpeg', 'application/octet-stream'],
    ['webp', 'image/png'],
    ['gif', 'text/plain'],
  ] as const)('a %s upload (sent as %s) is served as 256×256 and 64×64 WebP with immutable, safe headers', async (kind, contentType) => {
    const user = await TestUser.register(stack, `Uploader ${kind}`);
    const res = await put(user, await testImages[kind](), contentType);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, avatar_kind: 'custom' });
    const key = CUSTOM_URL.exec(res.body.avatar)?.[1];
    expect(key).toBeDefined();

    const image = await getImage(stack, res.body.avatar);
    expect(image.status).toBe(200);
    expect(Object.fromEntries(image.headers)).toMatchObject({
      'content-type': 'image/webp',
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
      etag: `"${key}"`,
    });
    expect(await sizeOf(image.bytes)).toEqual({ format: 'webp', width: 256, height: 256 });
    const small = await getImage(stack, `/avatars/${key}-64.webp`);
    expect(small.status).toBe(200);
    expect(small.headers.get('content-type')).toBe('image/webp');
    expect(await sizeOf(small.bytes)).toEqual({ format: 'webp', width: 64, height: 64 });

    expect((await user.request('GET', `/users/${user.id}`)).body).toEqual({
      id: user.id,
      username: `Uploader ${kind}`,
      avatar: res.body.avatar,
      avatar_kind: 'custom',
    });
  });

  it('takes a multipart/form-data upload as a browser sends it', async () => {
    const user = await TestUser.register(stack, 'Browser');
    const res = await put(user, formWith(await testImages.jpeg(500, 300), 'image/jpeg', 'avatar', 'photo.jpg'));
    expect(res.status).toBe(200);
    expect(res.body.avatar).toMatch(CUSTOM_URL);
    expect(await sizeOf((await getImage(stack, res.body.avatar)).bytes)).toEqual({ format: 'webp', width: 256, height: 256 });
  });

  it('serves a JPEG that carried EXIF GPS with no metadata at all', async () => {
    const photo = await testImages.jpegWithGps();
    expect((await sharp(photo).metadata()).exif?.includes(Buffer.from('TestCam'))).toBe(true);
    const user = await TestUser.register(stack, 'Traveller');
    const res = await put(user, photo, 'image/jpeg');
    expect(res.status).toBe(200);
    const key = CUSTOM_URL.exec(res.body.avatar)![1]!;
    for (const path of [res.body.avatar, `/avatars/${key}-64.webp`]) {
      const { bytes } = await getImage(stack, path);
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe('webp');
      expect({ exif: meta.exif, xmp: meta.xmp, icc: meta.icc, iptc: meta.iptc, orientation: meta.orientation }).toEqual({
        exif: undefined,
        xmp: undefined,
        icc: undefined,
        iptc: undefined,
        orientation: undefined,
      });
      // A WebP carries metadata in EXIF/XMP/ICCP chunks: there are none, and none of the camera's words.
      for (const marker of ['EXIF', 'XMP ', 'ICCP', 'TestCam', 'Leaky']) expect(bytes.includes(Buffer.from(marker))).toBe(false);
    }
  });

  it('answers a matching ETag with 304 and stores the same picture once', async () => {
    const picture = await testImages.png(123, 77);
    const [a, b] = await Promise.all([TestUser.register(stack, 'Twin A'), TestUser.register(stack, 'Twin B')]);
    const before = await probe.storedAvatars();
    const first = await put(a, picture, 'image/png');
    const second = await put(b, picture, 'image/png');
    expect(first.body.avatar).toBe(second.body.avatar);
    expect(await probe.storedAvatars()).toBe(before + 1);

    const image = await getImage(stack, first.body.avatar);
    const etag = image.headers.get('etag')!;
    const again = await getImage(stack, first.body.avatar, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.bytes).toHaveLength(0);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await getImage(stack, first.body.avatar, { 'if-none-match': '"something-else"' })).status).toBe(200);
  });

  it('takes an image of exactly 1 MiB (it travels to the profile service whole)', async () => {
    const user = await TestUser.register(stack, 'Exactly');
    const picture = await testImages.pngOfSize(MiB);
    expect(picture.length).toBe(MiB);
    const res = await put(user, picture, 'image/png');
    expect(res.status).toBe(200);
    expect(res.body.avatar_kind).toBe('custom');
  });

  it('refuses bad uploads with the right status, and stores nothing', async () => {
    const user = await TestUser.register(stack, 'Careful', { avatar_url: 'https://cdn.example.com/careful.png' });
    const rows = await probe.storedAvatars();
    const events = await probe.events();
    const svg = testImages.svg();
    const cases: [string, Uint8Array | FormData, string | undefined, number, string][] = [
      ['SVG', svg, 'image/svg+xml', 415, 'unsupported_media_type'],
      ['SVG labelled image/png', svg, 'image/png', 415, 'unsupported_media_type'],
      ['HTML', testImages.html(), 'text/html', 415, 'unsupported_media_type'],
      ['PNG with a page appended', await testImages.pngHtmlPolyglot(), 'image/png', 415, 'unsupported_media_type'],
      ['GIF/JavaScript polyglot', testImages.gifScriptPolyglot(), 'image/gif', 415, 'unsupported_media_type'],
      ['truncated PNG', await testImages.truncatedPng(), 'image/png', 415, 'unsupported_media_type'],
      ['1 KB PNG declaring 20000×20000', await testImages.hugeDeclaredPng(), 'image/png', 413, 'payload_too_large'],
      ['more than 1 MiB', await testImages.pngOfSize(MiB + 1), 'image/png', 413, 'payload_too_large'],
      ['empty body', new Uint8Array(), 'image/png', 400, 'bad_request'],
      ['SVG in a form', formWith(svg, 'image/png', 'avatar', 'innocent.png'), undefined, 415, 'unsupported_media_type'],
      ['more than 1 MiB in a form', formWith(await testImages.pngOfSize(MiB + 1)), undefined, 413, 'payload_too_large'],
      [
        'a form without a file',
        (() => {
          const f = new FormData();
          f.append('caption', 'x');
          return f;
        })(),
        undefined,
        400,
        'bad_request',
      ],
    ];
    expect((await testImages.hugeDeclaredPng()).length).toBeLessThan(1024);
    for (const [name, body, contentType, status, code] of cases) {
      const res = await put(user, body, contentType);
      expect({ name, status: res.status, code: res.body?.error?.code }).toEqual({ name, status, code });
    }
    expect(await probe.storedAvatars()).toBe(rows);
    expect(await probe.events()).toBe(events);
    expect(await probe.stagedUploads()).toBe(0);
    expect((await user.request('GET', `/users/${user.id}`)).body).toMatchObject({ avatar: 'https://cdn.example.com/careful.png', avatar_kind: 'external' });
  });

  it('refuses the same pictures as data: avatars on registration, and stores nothing', async () => {
    const rows = await probe.storedAvatars();
    const events = await probe.events();
    const cases: [string, string, number][] = [
      ['SVG', dataUrl(testImages.svg(), 'image/svg+xml'), 415],
      ['SVG labelled PNG', dataUrl(testImages.svg(), 'image/png'), 415],
      ['HTML', dataUrl(testImages.html(), 'text/html'), 415],
      ['truncated PNG', dataUrl(await testImages.truncatedPng()), 415],
      ['huge declared PNG', dataUrl(await testImages.hugeDeclaredPng()), 413],
      ['more than 1 MiB', dataUrl(await testImages.pngOfSize(MiB + 1)), 413],
      ['not base64', 'data:image/png,hello', 415],
      ['ftp URL', 'ftp://example.com/a.png', 400],
      ['URL over 2048 characters', `https://cdn.example.com/${'a'.repeat(2048)}.png`, 400],
    ];
    for (const [name, avatar_url, status] of cases) {
      const res = await http(stack, 'POST', '/users', { username: 'Nobody', avatar_url });
      expect({ name, status: res.status }).toEqual({ name, status });
    }
    expect(await probe.storedAvatars()).toBe(rows);
    expect(await probe.events()).toBe(events);
    expect(await probe.stagedUploads()).toBe(0);
  });

  it('only the user may change their avatar (403 for anyone else, 401 without a session)', async () => {
    const [ann, mallory] = await Promise.all([TestUser.register(stack, 'Ann'), TestUser.register(stack, 'Mallory')]);
    const res = await put(ann, await testImages.png(), 'image/png', mallory);
    expect(res).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    const anonymous = await fetch(`${stack.url}/users/${ann.id}/avatar`, { method: 'PUT', body: await testImages.png() });
    expect(anonymous.status).toBe(401);
    expect((await ann.request('GET', `/users/${ann.id}`)).body.avatar_kind).toBe('default');
  });

  it('a data: avatar works on registration and profile changes; an http(s) one is external', async () => {
    const user = await TestUser.register(stack, 'Painter', { avatar_url: dataUrl(await testImages.webp(), 'image/webp') });
    const registered = (await user.request('GET', `/users/${user.id}`)).body as UserView;
    expect(registered.avatar).toMatch(CUSTOM_URL);
    const patched = await user.request('PATCH', `/users/${user.id}`, { avatar_url: dataUrl(await testImages.gif(), 'image/gif') });
    expect(patched.status).toBe(200);
    expect(patched.body.avatar).toMatch(CUSTOM_URL);
    expect(patched.body.avatar).not.toBe(registered.avatar);
    const external = await user.request('PATCH', `/users/${user.id}`, { avatar_url: 'https://cdn.example.com/painter.png' });
    expect(external.body).toMatchObject({ avatar: 'https://cdn.example.com/painter.png', avatar_kind: 'external' });
    expect((await user.request('PATCH', `/users/${user.id}`, { avatar_url: 'javascript:alert(1)' })).status).toBe(400);
    const cleared = await user.request('PATCH', `/users/${user.id}`, { avatar_url: null });
    expect(cleared.body).toMatchObject({ avatar: `/avatars/default/${user.id}.svg`, avatar_kind: 'default' });
  });

  it('a data: avatar on join or connect only fills an empty avatar, and a bad one does not refuse the user', async () => {
    const user = await TestUser.register(stack, 'Joiner');
    const rows = await probe.storedAvatars();
    expect((await user.join('fill', { avatar_url: dataUrl(testImages.svg(), 'image/svg+xml') })).status).toBe(200);
    expect((await user.request('GET', `/users/${user.id}`)).body.avatar_kind).toBe('default');
    expect(await probe.storedAvatars()).toBe(rows);

    const tiny = dataUrl(await testImages.png(2, 2));
    const socket = await user.connect('fill', { avatar_url: tiny });
    await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');
    socket.close();
    const filled = (await user.request('GET', `/users/${user.id}`)).body as UserView;
    expect(filled.avatar).toMatch(CUSTOM_URL);

    expect((await user.join('fill', { avatar_url: dataUrl(await testImages.jpeg()) })).status).toBe(200);
    expect((await user.request('GET', `/users/${user.id}`)).body.avatar).toBe(filled.avatar);
  });

  it('after an avatar change, live sockets get profile_updated within a second and history shows it; old keys keep serving', async () => {
    const [ann, bob] = await Promise.all([TestUser.register(stack, 'Ann'), TestUser.register(stack, 'Bob')]);
    const first = await put(ann, await testImages.png(), 'image/png');
    await ann.join('gallery');
    await bob.join('gallery');
    await ann.post('gallery', 'before the change');
    const [sa, sb] = await Promise.all([ann.connect('gallery'), bob.connect('gallery')]);
    for (const s of [sa, sb]) await s.until((f) => f.some((x) => x.type === 'ready'), 'ready');

    const changed = await put(ann, await testImages.jpeg(640, 480), 'image/jpeg');
    expect(changed.status).toBe(200);
    expect(changed.body.avatar).not.toBe(first.body.avatar);
    const isUpdate = (f: ServerFrame) => f.type === 'profile_updated' && f.user.id === ann.id && f.user.avatar === changed.body.avatar;
    for (const s of [sa, sb]) await s.until((f) => f.some(isUpdate), 'profile_updated with the new avatar', 1000);

    const old = (await bob.history('gallery')).body.find((m) => m.content === 'before the change');
    expect(old?.avatar).toBe(changed.body.avatar);
    sa.send({ type: 'message', content: 'after the change' });
    await sb.until(() => sb.messages().some((m) => m.content === 'after the change'), 'live message');
    expect(sb.messages().find((m) => m.content === 'after the change')?.avatar).toBe(changed.body.avatar);
    // A page that cached the old message list still shows the old picture.
    expect((await getImage(stack, first.body.avatar)).status).toBe(200);
    for (const s of [sa, sb]) s.close();
  });

  it('answers 404 for avatars that do not exist or are not named like one', async () => {
    for (const path of [
      `/avatars/${'0'.repeat(64)}.webp`,
      `/avatars/${'0'.repeat(64)}-64.webp`,
      '/avatars/abc.webp',
      `/avatars/${'A'.repeat(64)}.webp`,
      `/avatars/${'0'.repeat(64)}-32.webp`,
    ]) {
      expect({ path, status: (await getImage(stack, path)).status }).toEqual({ path, status: 404 });
    }
  });

  it('serves default avatars with escaped text, the same safety headers and an ETag', async () => {
    const user = await TestUser.register(stack, '<img src=x onerror=alert(1)> "Q"');
    const res = await getImage(stack, `/avatars/default/${user.id}.svg`);
    expect(res.status).toBe(200);
    const svg = res.bytes.toString('utf8');
    expect(svg).not.toContain('<img');
    expect(svg).toContain('&lt;img');
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'image/svg+xml',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
    });
    const again = await getImage(stack, `/avatars/default/${user.id}.svg`, { 'if-none-match': res.headers.get('etag')! });
    expect(again.status).toBe(304);
  });
});

describe.each(['token', 'open'] as const)('the seed scenario with an uploaded avatar (AUTH_MODE=%s)', (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mode });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('register with a custom avatar, join, post, fetch, reconnect with a placeholder, fetch: the custom avatar every time', async () => {
    const extra = mode === 'open' ? { user_id: 'seed-user-1' } : {};
    const ann = await TestUser.register(stack, 'Ann', { avatar_url: dataUrl(await testImages.jpeg(), 'image/jpeg'), ...extra });
    const custom = ((await ann.request('GET', `/users/${ann.id}`)).body as UserView).avatar;
    expect(custom).toMatch(CUSTOM_URL);

    expect((await ann.join('seed', { username: 'Ann', avatar_url: PLACEHOLDER(ann.id) })).status).toBe(200);
    const socket = await ann.connect('seed', { username: 'Ann', avatar_url: PLACEHOLDER(ann.id) });
    await socket.until((f) => f.some((x) => x.type === 'ready'), 'ready');
    socket.send({ type: 'message', content: 'look at my avatar', client_msg_id: 's1' });
    await socket.until(() => socket.messages().some((m) => m.content === 'look at my avatar'), 'live message');
    expect(socket.messages().find((m) => m.content === 'look at my avatar')?.avatar).toBe(custom);
    expect((await ann.post('seed', 'and again')).body.avatar).toBe(custom);
    const everyAvatar = async () => (await ann.history('seed')).body.map((m) => m.avatar);
    expect(new Set(await everyAvatar())).toEqual(new Set([custom]));
    socket.close();

    for (let round = 0; round < 2; round++) {
      const again = await ann.connect('seed', { username: 'Ann', avatar_url: PLACEHOLDER(ann.id) });
      await again.until((f) => f.some((x) => x.type === 'ready'), 'ready');
      again.close();
      expect((await ann.join('seed', { avatar_url: dataUrl(await testImages.gif(), 'image/gif') })).status).toBe(200);
      expect(new Set(await everyAvatar())).toEqual(new Set([custom]));
    }
    expect((await getImage(stack, custom)).status).toBe(200);
  });

  if (mode === 'open') {
    it('a seed frontend that joins with a data: avatar registers the user with it', async () => {
      const join = await http(stack, 'POST', '/rooms/seed-2/join', { user_id: 'frontend-9', username: 'Dana', avatar_url: dataUrl(await testImages.png()) });
      expect(join.status).toBe(200);
      expect((await http(stack, 'GET', '/users/frontend-9')).body).toMatchObject({ username: 'Dana', avatar_kind: 'custom' });
    });

    it('an upload for a user that does not exist is a 404, and stores nothing', async () => {
      const probe = await Probe.open(stack);
      try {
        const [rows, events] = [await probe.storedAvatars(), await probe.events()];
        const res = await put(new TestUser(stack, 'ghost-user', undefined), await testImages.png(64, 64), 'image/png');
        expect(res).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
        expect([await probe.storedAvatars(), await probe.events(), await probe.stagedUploads()]).toEqual([rows, events, 0]);
      } finally {
        await probe.close();
      }
    });
  }
});
