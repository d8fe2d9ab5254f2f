import WebSocket from 'ws';
import type { MessageView, ServerFrame, UserView } from '@chat/contracts';
import type { Stack } from './stack.ts';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A user of the public API, as a frontend would be. */
export class TestUser {
  constructor(
    readonly stack: Stack,
    readonly id: string,
    readonly token: string | undefined,
  ) {}

  static async register(stack: Stack, username: string, extra: Record<string, unknown> = {}): Promise<TestUser> {
    const res = await http(stack, 'POST', '/users', { username, ...extra });
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
    const user = (res.body as { user: UserView }).user;
    return new TestUser(stack, user.id, (res.body as { token?: string }).token);
  }

  /** Registers one user per name, in parallel; the result has one user per name, in order. */
  static async registerAll<const N extends readonly string[]>(stack: Stack, names: N): Promise<{ -readonly [K in keyof N]: TestUser }> {
    return (await Promise.all(names.map((n) => TestUser.register(stack, n)))) as { -readonly [K in keyof N]: TestUser };
  }

  request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
    return http(stack(this), method, path, body, { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers });
  }

  join(roomId: string, body: Record<string, unknown> = {}) {
    return this.request('POST', `/rooms/${roomId}/join`, { user_id: this.id, ...body });
  }

  post(roomId: string, content: string, extra: Record<string, unknown> = {}) {
    return this.request<MessageView>('POST', `/rooms/${roomId}/messages`, { user_id: this.id, content, ...extra });
  }

  history(roomId: string, query = '') {
    return this.request<MessageView[]>('GET', `/rooms/${roomId}/messages${query}`);
  }

  /** The multiplexed socket (`/ws`): one per device, rooms by `subscribe` frames. */
  connectMux(query: Record<string, string> = {}, wsUrl = this.stack.wsUrl): Promise<LiveSocket> {
    const params = new URLSearchParams({ ...(this.token ? { token: this.token } : { user_id: this.id }), ...query });
    return LiveSocket.open(`${wsUrl}/ws?${params}`);
  }

  connect(roomId: string, query: Record<string, string> = {}, wsUrl = this.stack.wsUrl): Promise<LiveSocket> {
    const params = new URLSearchParams({ ...(this.token ? { token: this.token } : {}), ...query });
    return LiveSocket.open(`${wsUrl}/ws/${roomId}/${this.id}?${params}`);
  }
}

const stack = (u: TestUser) => u.stack;

export async function http<T = any>(stack: Stack, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** A WebSocket that records every frame, with helpers to wait for the ones a test expects. */
export class LiveSocket {
  readonly frames: ServerFrame[] = [];
  closeCode: number | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as ServerFrame);
      this.notify();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.notify();
    });
  }

  static open(url: string, protocols?: string[], options: WebSocket.ClientOptions = {}): Promise<LiveSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, options);
      const socket = new LiveSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  ready(): Promise<ServerFrame[]> {
    return this.until((f) => f.some((x) => x.type === 'ready'), 'ready');
  }

  /** The `cursor` of the last `ready` frame. */
  cursor(): number {
    const ready = [...this.frames].reverse().find((f) => f.type === 'ready') as { cursor: number } | undefined;
    return ready?.cursor ?? 0;
  }

  messages(): Extract<ServerFrame, { type: 'message' }>['message'][] {
    return this.frames.flatMap((f) => (f.type === 'message' ? [f.message] : []));
  }

  /** Waits until `predicate` holds over the frames received so far. */
  async until(predicate: (frames: ServerFrame[]) => boolean, what: string, timeoutMs = 5000): Promise<ServerFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames;
  }

  async closed(timeoutMs = 5000): Promise<number> {
    await this.until(() => this.closeCode !== undefined, 'close', timeoutMs);
    return this.closeCode!;
  }

  close(): void {
    this.ws.close();
  }

  private notify() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
