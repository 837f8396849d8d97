// The test CA and the fake servers' certificate (README.md beside this file: how they were made).
// Node trusts the CA only through NODE_EXTRA_CA_CERTS, which it reads once at start-up: the
// test runner (scripts/run-tests.mjs) and the daemons the tests spawn (../daemon.ts) get it in
// their environment. Nothing in src/ knows about it.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

/** The test CA certificate: what NODE_EXTRA_CA_CERTS must name. */
export const TEST_CA_CERT_FILE = fileURLToPath(new URL('./ca.crt', import.meta.url));

/** A handshake with our own server takes milliseconds; this only bounds a hang. */
const TRUST_CHECK_TIMEOUT_MS = 5000;

/** Key and certificate for a test HTTPS server on 127.0.0.1 (or localhost). */
export function testServerTls(): { key: Buffer; cert: Buffer } {
  return {
    key: readFileSync(new URL('./server.key', import.meta.url)),
    cert: readFileSync(new URL('./server.crt', import.meta.url)),
  };
}

/**
 * Resolves once this process completes a verified TLS handshake with the server on
 * 127.0.0.1:`port`, as any HTTPS client of the process would (default trust store, hostname
 * check). Rejects with a message saying how to run the tests otherwise: without it, a missing
 * NODE_EXTRA_CA_CERTS shows up later as a puzzling "Slack unreachable" in some assertion.
 */
export async function assertTrustsTestCa(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, timeout: TRUST_CHECK_TIMEOUT_MS });
    socket.once('secureConnect', () => {
      socket.end();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no TLS handshake with 127.0.0.1:${port} in ${TRUST_CHECK_TIMEOUT_MS} ms`));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(
        new Error(
          `this process does not trust the test CA (${err.code ?? err.message}). Run the tests ` +
            `with NODE_EXTRA_CA_CERTS=${TEST_CA_CERT_FILE} (npm test sets it; node reads it ` +
            'only at start-up, so it cannot be set from inside a test).',
        ),
      );
    });
  });
}
