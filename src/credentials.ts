// Credentials between the store (sealed) and the portal (clear, in memory only).
// One PortalClient per credential id, cached, so chats sharing a credential share its access
// token and its fetches.
import type { Clock } from './domain.js';
import type {
  PortalClient,
  PortalClientFactory,
  PortalCredential,
  PortalPath,
} from './portal/types.js';
import type { CredentialState } from './store/schema.js';
import type { StateStore } from './store/store.js';
import type { SecretBox, SecretScrubber } from './secrets.js';

export interface CredentialVault {
  /** Builds the sealed store record for a credential that passed verify(). */
  seal(credential: PortalCredential, account: string | undefined): CredentialState;
  /** The client for a stored credential id, or undefined if the id is unknown. */
  clientFor(credentialId: string): PortalClient | undefined;
  /** A client for a credential not stored yet (the /setup check). */
  clientForUnsaved(credential: PortalCredential): PortalClient;
  /** The path each credential in use reads through now (for /status). */
  paths(): Map<string, PortalPath>;
}

function describe(credential: PortalCredential): string {
  return credential.kind === 'basic'
    ? credential.username
    : `offline token …${credential.offlineToken.slice(-4)}`;
}

export function createCredentialVault(deps: {
  store: StateStore;
  secretBox: SecretBox;
  portal: PortalClientFactory;
  scrubber: SecretScrubber;
  clock: Clock;
}): CredentialVault {
  const clients = new Map<string, { sealed: string; client: PortalClient }>();

  const open = (state: { kind: CredentialState['kind']; secret: string }): PortalCredential => {
    const plain = deps.secretBox.decrypt(state.secret);
    if (state.kind === 'offline-token') {
      deps.scrubber.add(plain);
      return { kind: 'offline-token', offlineToken: plain };
    }
    const parsed = JSON.parse(plain) as { username?: unknown; password?: unknown };
    const username = typeof parsed.username === 'string' ? parsed.username : '';
    const password = typeof parsed.password === 'string' ? parsed.password : '';
    deps.scrubber.add(password);
    return { kind: 'basic', username, password };
  };

  return {
    seal(credential, account) {
      const plain =
        credential.kind === 'offline-token'
          ? credential.offlineToken
          : JSON.stringify({ username: credential.username, password: credential.password });
      return {
        id: deps.secretBox.fingerprint(`${credential.kind}\n${plain}`),
        kind: credential.kind,
        secret: deps.secretBox.encrypt(plain),
        label: describe(credential),
        ...(account !== undefined ? { account } : {}),
        createdAt: new Date(deps.clock.now()).toISOString(),
      };
    },
    clientFor(credentialId) {
      const state = deps.store.read().credentials[credentialId];
      if (!state) return undefined;
      const cached = clients.get(credentialId);
      if (cached && cached.sealed === state.secret) return cached.client;
      const client = deps.portal.create(open(state), { credentialId });
      clients.set(credentialId, { sealed: state.secret, client });
      return client;
    },
    paths() {
      return new Map([...clients].map(([id, { client }]) => [id, client.readMode().path]));
    },
    clientForUnsaved(credential) {
      if (credential.kind === 'offline-token') deps.scrubber.add(credential.offlineToken);
      else deps.scrubber.add(credential.password);
      return deps.portal.create(credential);
    },
  };
}
