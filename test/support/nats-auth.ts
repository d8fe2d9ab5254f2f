import { readFileSync } from 'node:fs';
import { connectNats, type NatsConnection, nuid } from '@chat/bus';
import { AUTH_CONF, passwordVariable, SERVICE_USERS, type ServiceUser } from '../../infra/nats/auth.ts';
import { NatsNode } from './servers.ts';
import type { NatsCredentials, NatsUser } from './stack.ts';

export type AuthUser = ServiceUser | 'admin';

/**
 * A nats-server of the test's own started with the permissions we ship (infra/nats/auth.conf,
 * namespace `chat`), a fresh password for every user, and its log kept to find refusals in.
 */
export class AuthNats {
  private readonly clients: NatsConnection[] = [];

  private constructor(
    readonly node: NatsNode,
    readonly passwords: Record<AuthUser, string>,
  ) {}

  static async start(): Promise<AuthNats> {
    // Letters and digits starting with a letter, as auth.conf asks (nats-server parses the values).
    const passwords = Object.fromEntries(([...SERVICE_USERS, 'admin'] as AuthUser[]).map((u) => [u, `p${nuid.next()}`])) as Record<AuthUser, string>;
    const env = Object.fromEntries((Object.keys(passwords) as AuthUser[]).map((u) => [passwordVariable(u), passwords[u]]));
    return new AuthNats(await NatsNode.start({ config: AUTH_CONF, env, log: true }), passwords);
  }

  get url(): string {
    return this.node.url;
  }

  creds(user: AuthUser): NatsCredentials {
    return { user, pass: this.passwords[user] };
  }

  /** `natsAuth` for `startStack`: each service as its own user, the test's connection as admin. */
  get stackAuth(): Record<NatsUser, NatsCredentials> {
    return {
      room: this.creds('room'),
      profile: this.creds('profile'),
      projection: this.creds('projection'),
      gateway: this.creds('gateway'),
      test: this.creds('admin'),
    };
  }

  /** A connection as `user`, the way the services connect (with its own inbox prefix); closed by `destroy`. */
  async as(user: AuthUser): Promise<NatsConnection> {
    const nc = await connectNats(this.url, { name: `test-${user}`, ...this.creds(user) });
    this.clients.push(nc);
    return nc;
  }

  /** What the server refused so far: 2.9 and 2.10 log `Publish Violation - User "gateway", Subject "…"`. */
  violations(): string[] {
    return readFileSync(this.node.logFile, 'utf8')
      .split('\n')
      .filter((line) => /(Publish|Subscription|Authorization) Violation/.test(line));
  }

  async destroy(): Promise<void> {
    for (const nc of this.clients) await nc.close().catch(() => undefined);
    await this.node.destroy();
  }
}
