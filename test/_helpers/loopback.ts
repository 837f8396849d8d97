// Test servers listen on loopback only, on a port the OS picks.
import type { Server } from 'node:net';

/** Listens on 127.0.0.1 with an ephemeral port; rejects if the server cannot listen. */
export async function listenOnLoopback(server: Server): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
