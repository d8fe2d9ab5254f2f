/**
 * The end-to-end peer: what a team would otherwise pick. A Socket.IO server in which a client's
 * message is stamped (a per-room counter as its seq) and broadcast to the room: no persistence,
 * no auth, no history. Sockets join the room named in the handshake query.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { serveParent } from '../lib/proc.ts';

async function main() {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, httpCompression: false, serveClient: false });
  const seqs = new Map<string, number>();
  io.on('connection', (socket) => {
    const room = String(socket.handshake.query.room ?? 'lobby');
    const user = String(socket.handshake.query.user ?? 'anon');
    void socket.join(room);
    socket.emit('ready', { type: 'ready', cursor: seqs.get(room) ?? 0 });
    socket.on('message', (m: { content?: unknown; client_msg_id?: unknown }) => {
      if (typeof m?.content !== 'string') return;
      const seq = (seqs.get(room) ?? 0) + 1;
      seqs.set(room, seq);
      io.to(room).emit('message', {
        type: 'message',
        message: {
          id: `m_${room}_${seq}`,
          room_id: room,
          user_id: user,
          username: user,
          content: m.content,
          avatar: `/avatars/default/${user}.svg`,
          timestamp: new Date().toISOString(),
          type: 'text',
          seq,
          client_msg_id: typeof m.client_msg_id === 'string' ? m.client_msg_id : null,
          edited_at: null,
          deleted: false,
        },
      });
    });
  });
  const port = await new Promise<number>((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as { port: number }).port)));
  serveParent({ port: () => ({ port }) });
}

void main();
