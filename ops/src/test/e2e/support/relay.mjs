// A TCP relay in front of the server whose connections a test can cut, as a dropped mobile network would: the
// clients see their socket die, not a polite close, and reconnect by their own means.
import { connect, createServer } from 'node:net';

/**
 * Starts a relay on a free loopback port to 127.0.0.1:targetPort.
 *
 * @returns {Promise<{port: number, heads: string[], cut: () => number, close: () => Promise<void>}>} heads: the first
 *   bytes each client sent (an HTTP request's head), in order; cut(): destroys every open connection, returns how many.
 */
export async function startRelay(targetPort) {
  const open = new Set();
  const clients = new Set();
  const heads = [];
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    clients.add(client);
    let first = true;
    client.on('data', (chunk) => {
      if (first) {
        first = false;
        heads.push(chunk.toString('latin1').split('\r\n\r\n')[0]);
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
      clients.delete(client);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    heads,
    cut() {
      const n = clients.size;
      for (const socket of open) {
        // resetAndDestroy: an RST, not a FIN, so neither side can take it for the end of a response.
        socket.resetAndDestroy();
      }
      open.clear();
      clients.clear();
      return n;
    },
    close() {
      for (const socket of open) {
        socket.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
