/**
 * The seed's flow against a running stack, as its frontend does it (README, API), in token mode:
 * register two users (one with an uploaded avatar), join a room with the seed's body (whose
 * placeholder avatar must not replace the uploaded one), connect both WebSockets with their
 * tokens, post a message, see it arrive on both sockets with the author's avatar, fetch the
 * history and see the avatar there too; then fetch that avatar image and the web app.
 *
 *   tsx infra/compose/seed-flow.ts http://127.0.0.1:18080
 *
 * Every wait is bounded; exits 0 when every check held, 1 with the failed check otherwise.
 * infra/compose/prove.sh runs it against the stack that docker-compose started.
 */
import sharp from 'sharp';
import WebSocket from 'ws';

const base = (process.argv[2] ?? 'http://127.0.0.1:18080').replace(/\/$/, '');
const wsBase = base.replace(/^http/, 'ws');
const STEP_MS = 15_000;
const room = `proof-${Date.now().toString(36)}`;

interface User {
  id: string;
  username: string;
  avatar: string;
  token: string;
}
interface Message {
  id: string;
  user_id: string;
  username: string;
  content: string;
  avatar: string;
  type: string;
  seq: number;
}

function check(ok: unknown, what: string, detail?: unknown): asserts ok {
  if (!ok) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  console.log(`  ok  ${what}`);
}

async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T; type: string | null }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_MS),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (the web app, an image): keep the text
  }
  return { status: res.status, body: parsed as T, type: res.headers.get('content-type') };
}

/** A socket that keeps every frame, and waits (bounded) for the one a check needs. */
class Live {
  readonly frames: Array<{ type: string; message?: Message }> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as { type: string; message?: Message }));
  }

  static open(user: User): Promise<Live> {
    const ws = new WebSocket(`${wsBase}/ws/${room}/${user.id}?token=${encodeURIComponent(user.token)}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${user.username}'s WebSocket did not open within ${STEP_MS} ms`)), STEP_MS);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new Live(ws));
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`${user.username}'s WebSocket was refused: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  async until<T>(find: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`${what}: not seen within ${STEP_MS} ms (frames: ${JSON.stringify(this.frames).slice(0, 500)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function register(username: string, avatarUrl?: string): Promise<User> {
  const res = await api<{ user: Omit<User, 'token'>; token?: string }>('POST', '/users', { username, ...(avatarUrl ? { avatar_url: avatarUrl } : {}) });
  check(res.status === 201 && res.body.token, `POST /users registers ${username} and returns a token (AUTH_MODE=token)`, res.status === 201 ? undefined : res);
  return { ...res.body.user, token: res.body.token };
}

async function main(): Promise<void> {
  console.log(`seed flow against ${base}, room ${room}`);
  const picture = await sharp({ create: { width: 96, height: 96, channels: 3, background: '#2a7f62' } })
    .png()
    .toBuffer();
  const ann = await register('Ann', `data:image/png;base64,${picture.toString('base64')}`);
  check(/^\/avatars\/[\w-]+\.webp$/.test(ann.avatar), 'the uploaded avatar is stored by the profile service', ann.avatar);
  const bob = await register('Bob');

  for (const user of [ann, bob]) {
    // The seed's join body, with the generic placeholder its frontend sent as avatar_url.
    const seedBody = { user_id: user.id, username: user.username, avatar_url: `https://i.pravatar.cc/150?u=${user.id}` };
    const join = await api<{ status: string; joined: boolean }>('POST', `/rooms/${room}/join`, seedBody, user.token);
    check(join.status === 200 && join.body.status === 'success', `POST /rooms/${room}/join with the seed body (${user.username})`, join);
  }

  const annLive = await Live.open(ann);
  const bobLive = await Live.open(bob);
  for (const [name, live] of [
    ['Ann', annLive],
    ['Bob', bobLive],
  ] as const) {
    await live.until(() => live.frames.find((f) => f.type === 'ready'), `${name}'s socket ready`);
    check(true, `WS /ws/${room}/{user}?token=… admits ${name} right after the join`);
  }

  const content = `hello from the compose proof ${Date.now()}`;
  const posted = await api<Message>('POST', `/rooms/${room}/messages`, { content, client_msg_id: `proof-${Date.now()}` }, ann.token);
  check(posted.status === 201, 'POST /rooms/{id}/messages answers 201 with the message', posted);

  for (const [name, live] of [
    ['Ann', annLive],
    ['Bob', bobLive],
  ] as const) {
    const frame = await live.until(() => live.frames.find((f) => f.type === 'message' && f.message?.content === content), `the message on ${name}'s socket`);
    check(frame.message?.avatar === ann.avatar, `the message arrives live on ${name}'s socket with Ann's uploaded avatar`, frame.message);
  }

  const history = await api<Message[]>('GET', `/rooms/${room}/messages`, undefined, bob.token);
  const fetched = Array.isArray(history.body) ? history.body.find((m) => m.content === content) : undefined;
  check(history.status === 200 && fetched, 'GET /rooms/{id}/messages returns the message', history);
  check(fetched.avatar === ann.avatar && fetched.username === 'Ann', 'the fetched message carries Ann’s uploaded avatar (not a placeholder)', fetched);
  check(
    history.body.every((m) => m.avatar && !m.avatar.includes('pravatar')),
    'every message in the history has an avatar, none a placeholder',
    history.body.map((m) => m.avatar),
  );

  const image = await fetch(`${base}${ann.avatar}`, { signal: AbortSignal.timeout(STEP_MS) });
  const bytes = Buffer.from(await image.arrayBuffer());
  check(image.status === 200 && image.headers.get('content-type') === 'image/webp', `GET ${ann.avatar} serves the stored WebP`, image.status);
  check((await sharp(bytes).metadata()).width === 256, 'the stored avatar is the normalised 256 px picture (sharp ran in the image)');
  const page = await api<string>('GET', '/');
  check(page.status === 200 && String(page.body).includes('<html'), 'GET / serves the web app (WEB_ROOT in the image)', page.status);

  annLive.ws.close();
  bobLive.ws.close();
}

const overall = setTimeout(() => {
  console.error('FAIL: the seed flow did not finish within 120 s');
  process.exit(1);
}, 120_000);
main().then(
  () => {
    clearTimeout(overall);
    console.log('seed flow: every check held');
    process.exit(0);
  },
  (err: unknown) => {
    console.error(`FAIL: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
