import net from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RawSocketHandlers {
  /**
   * A whole text or binary message: bytes `start` to `end` of `chunk`, which holds the bytes as
   * latin1 (one char per byte: ASCII reads as itself, positions are byte offsets). Reading a
   * chunk as one string and searching it costs far less than a Buffer per frame.
   */
  onMessage?: (chunk: string, start: number, end: number, ws: RawSocket) => void;
  onClose?: (code: number) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * A minimal WebSocket client over a TCP socket: the load generator's own, so that reading a frame
 * costs a header parse and no copy, and every server under test is read by the same code. It does
 * what the RFC asks of a client that the servers here check (handshake, masked frames, ping →
 * pong, close), and nothing else (no extensions, no fragmentation of what it sends).
 */
export class RawSocket {
  closeCode: number | undefined;
  private rest: Buffer | null = null;
  private fragments: string[] | null = null;
  private closedSent = false;

  private constructor(
    private readonly sock: net.Socket,
    private readonly handlers: RawSocketHandlers,
  ) {}

  static open(url: string, handlers: RawSocketHandlers, timeoutMs = 30_000): Promise<RawSocket> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: u.hostname, port: Number(u.port), noDelay: true });
      const ws = new RawSocket(sock, handlers);
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error(`handshake timed out: ${url}`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        sock.destroy();
        reject(err);
      };
      const onHead = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf(HEADER_END);
        if (end < 0) return;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.subarray(0, 16).toString('latin1'))?.[1]);
        if (status !== 101) {
          // Wait a moment for the body: it says why.
          setTimeout(
            () =>
              fail(
                Object.assign(
                  new Error(
                    `upgrade refused: ${status} ${head
                      .subarray(end + 4)
                      .toString('utf8')
                      .slice(0, 300)}`,
                  ),
                  { status },
                ),
              ),
            20,
          );
          return;
        }
        clearTimeout(timer);
        sock.off('data', onHead);
        sock.on('data', (c: Buffer) => ws.onData(c));
        sock.on('close', () => ws.onSocketClose());
        resolve(ws);
        if (head.length > end + 4) ws.onData(head.subarray(end + 4));
      };
      sock.on('data', onHead);
      sock.once('error', (err) => (ws.closeCode === undefined && head.indexOf(HEADER_END) < 0 ? fail(err) : undefined));
      sock.once('connect', () => {
        sock.write(
          `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  send(text: string): void {
    if (this.closeCode !== undefined || this.sock.destroyed) return;
    const payload = Buffer.from(text);
    const len = payload.length;
    const hdr = len < 126 ? 6 : len < 65536 ? 8 : 14;
    const frame = Buffer.allocUnsafe(hdr + len);
    frame[0] = 0x81;
    if (len < 126) frame[1] = 0x80 | len;
    else if (len < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(len, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeUInt32BE(0, 2);
      frame.writeUInt32BE(len, 6);
    }
    // A zero masking key: valid framing, and the payload needs no XOR.
    frame.writeUInt32BE(0, hdr - 4);
    payload.copy(frame, hdr);
    this.sock.write(frame);
  }

  /** Closes with a close frame (1000), as a client should. */
  close(): void {
    if (this.closedSent || this.sock.destroyed) return;
    this.closedSent = true;
    this.control(0x8, Buffer.from([0x03, 0xe8]));
    setTimeout(() => this.sock.destroy(), 2000).unref();
  }

  /** Drops the TCP connection without a close frame. */
  destroy(): void {
    this.sock.destroy();
  }

  private control(opcode: number, payload: Buffer): void {
    if (this.sock.destroyed) return;
    const frame = Buffer.alloc(6 + payload.length);
    frame[0] = 0x80 | opcode;
    frame[1] = 0x80 | payload.length;
    payload.copy(frame, 6);
    this.sock.write(frame);
  }

  private onSocketClose(): void {
    if (this.closeCode === undefined) this.closeCode = 1006;
    this.handlers.onClose?.(this.closeCode);
  }

  private onData(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    const str = buf.toString('latin1');
    const n = str.length;
    let off = 0;
    while (n - off >= 2) {
      const b0 = str.charCodeAt(off);
      const b1 = str.charCodeAt(off + 1);
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (n - off < 4) break;
        len = (str.charCodeAt(off + 2) << 8) | str.charCodeAt(off + 3);
        hdr = 4;
      } else if (len === 127) {
        if (n - off < 10) break;
        len = buf.readUInt32BE(off + 6);
        hdr = 10;
      }
      if (b1 & 0x80) hdr += 4; // servers do not mask; tolerate it anyway by skipping the key
      if (n - off < hdr + len) break;
      const start = off + hdr;
      off = start + len;
      this.onFrame(b0 & 0x80, b0 & 0x0f, str, start, off);
    }
    if (off < n) this.rest = Buffer.from(buf.subarray(off));
  }

  private onFrame(fin: number, opcode: number, str: string, start: number, end: number): void {
    if (opcode === 0x9) {
      this.control(0xa, Buffer.from(str.slice(start, end), 'latin1'));
      return;
    }
    if (opcode === 0xa) return;
    if (opcode === 0x8) {
      this.closeCode = end - start >= 2 ? (str.charCodeAt(start) << 8) | str.charCodeAt(start + 1) : 1005;
      if (!this.closedSent) {
        this.closedSent = true;
        this.control(0x8, Buffer.from(str.slice(start, Math.min(end, start + 2)), 'latin1'));
      }
      this.sock.end();
      return;
    }
    if (!fin || opcode === 0) {
      this.fragments ??= [];
      this.fragments.push(str.slice(start, end));
      if (!fin) return;
      const whole = this.fragments.join('');
      this.fragments = null;
      this.handlers.onMessage?.(whole, 0, whole.length, this);
      return;
    }
    this.handlers.onMessage?.(str, start, end, this);
  }
}
