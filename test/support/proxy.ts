import net from 'node:net';

/**
 * A TCP proxy in front of the gateway, standing in for the network between a client and it: it
 * can cut every connection (a dropped Wi-Fi), refuse new ones for a while (an outage), or refuse
 * only WebSocket upgrades (a proxy or firewall that blocks WebSockets).
 */
export class NetworkProxy {
  private readonly sockets = new Set<net.Socket>();
  private server!: net.Server;
  down = false;
  blockWebSockets = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  static async start(targetUrl: string): Promise<NetworkProxy> {
    const u = new URL(targetUrl);
    const proxy = new NetworkProxy({ host: u.hostname, port: Number(u.port) });
    await proxy.listen();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private listen(): Promise<void> {
    this.server = net.createServer((client) => {
      if (this.down) return void client.destroy();
      this.sockets.add(client);
      client.once('close', () => this.sockets.delete(client));
      client.once('data', (first) => {
        if (this.blockWebSockets && /\r\nupgrade:\s*websocket/i.test(first.toString('latin1'))) return void client.destroy();
        const upstream = net.connect(this.target);
        this.sockets.add(upstream);
        upstream.once('close', () => {
          this.sockets.delete(upstream);
          client.destroy();
        });
        client.once('close', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        upstream.write(first);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      client.on('error', () => undefined);
    });
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      }),
    );
  }

  /** Drops every open connection at once, with no close handshake. */
  cut(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
