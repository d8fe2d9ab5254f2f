// A bare uWS server that upgrades asynchronously, as the gateway does, for the anchor's regression
// test: `node --import tsx anchor-server.fixture.ts <anchor|bare>` prints its port, then serves.
import { Anchor, loadUws } from './uws.ts';

const mode = process.argv[2] === 'bare' ? 'bare' : 'anchor';
const uws = loadUws();
const app = uws.App();
const anchor = new Anchor();
if (mode === 'anchor') anchor.register(app);
app.ws<{ n: number }>('/ws/:n', {
  idleTimeout: 30,
  upgrade: (res, req, context) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const key = req.getHeader('sec-websocket-key');
    const ext = req.getHeader('sec-websocket-extensions');
    const n = Number(req.getParameter(0));
    setTimeout(() => {
      if (aborted) return;
      if (mode === 'anchor') anchor.upgrade(res, { n }, key, '', ext, context);
      else res.upgrade({ n }, key, '', ext, context);
    }, n % 4);
  },
  open: (ws) => {
    const n = ws.getUserData().n;
    // Frames of the lengths that hit the bug: 72–87 bytes with a `p` at index 36.
    const length = 72 + (n % 16);
    ws.send(`${'x'.repeat(36)}p${'y'.repeat(length - 37)}`);
  },
});
app.listen('127.0.0.1', 0, (socket) => {
  const port = uws.us_socket_local_port(socket);
  if (mode === 'anchor') anchor.connectTo(port);
  // Give the anchor a moment to open before the test starts upgrading.
  setTimeout(() => process.stdout.write(`${port}\n`), 200);
});
