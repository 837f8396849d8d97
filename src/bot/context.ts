// What every feature of the bot receives: the injected dependencies plus the bot's own
// in-memory state (pending questions, group secret watches, refused chats). The dependencies of
// the optional features (/slack, /status) are declared here too, not in their feature files:
// every feature imports this module, so it imports no feature (no import cycle; the boundary
// test in test/bot/boundary.test.ts holds it).
import type { Config } from '../config.js';
import type { CredentialVault } from '../credentials.js';
import type { AdminReporter, Clock } from '../domain.js';
import type { Links } from '../links.js';
import type { Logger } from '../logger.js';
import type { MetricsSnapshot } from '../metrics.js';
import type { WebhookPoster, WebhookPosterOptions } from '../notify/slack/webhook.js';
import type { PortalPath } from '../portal/types.js';
import type { SecretBox, SecretScrubber } from '../secrets.js';
import type { StateStore } from '../store/store.js';
import {
  INPUT_TTL_MS,
  createExpiringMap,
  type ExpiringMap,
  type GroupSecretWatch,
  type PendingInput,
} from './support/pending.js';

/** What /slack needs beyond BotDeps (features/slack.ts). */
export interface SlackFeatureDeps {
  secretBox: Pick<SecretBox, 'encrypt'>;
  scrubber: SecretScrubber;
  /** How the test message is posted: timeout, proxy variables, or another poster (tests). */
  webhook?: WebhookPosterOptions & { poster?: WebhookPoster };
}

/** What /status needs beyond BotDeps (features/status.ts). */
export interface StatusFeatureDeps {
  metrics: { snapshot(): MetricsSnapshot };
  /** package.json version (version.ts readVersion()). */
  version: string;
  /** The path each credential in use reads cases through (CredentialVault.paths). */
  paths?: () => ReadonlyMap<string, PortalPath>;
}

export interface BotDeps {
  config: Config;
  store: StateStore;
  vault: CredentialVault;
  /** Builds the case and comment links of the comments the bot shows (/latest, /add). */
  links: Links;
  logger: Logger;
  clock: Clock;
  /** Called after /start (or an unblock) re-activates a chat that had blocked the bot. */
  onChatReactivated?: () => void;
  /** /slack: present when the daemon can mirror to Slack. */
  slack?: SlackFeatureDeps;
  /** /status for admin chats. */
  status?: StatusFeatureDeps;
  /** Handler crashes are reported to the admin chats through this. */
  reporter?: AdminReporter;
}

export interface BotServices extends BotDeps {
  log: Logger;
  /** Keyed by inputKey(chatId, userId). */
  pending: ExpiringMap<string, PendingInput>;
  /** Keyed by group chat id: /setup was sent there, secrets are being watched for. */
  groupWatch: ExpiringMap<number, GroupSecretWatch>;
  /** Chats outside the allowlist already told so in this process run. */
  refusedChats: Set<number>;
  nowIso(): string;
}

export function createServices(deps: BotDeps): BotServices {
  return {
    ...deps,
    log: deps.logger.child({ component: 'bot' }),
    pending: createExpiringMap<string, PendingInput>(deps.clock, INPUT_TTL_MS),
    groupWatch: createExpiringMap<number, GroupSecretWatch>(deps.clock, INPUT_TTL_MS),
    refusedChats: new Set<number>(),
    nowIso: () => new Date(deps.clock.now()).toISOString(),
  };
}
