// `check`'s Telegram probe: getMe with the configured bot token at telegram.apiRoot, through
// telegraf as the daemon calls Telegram. The token is part of every Bot API URL, so any error
// text is scrubbed by the report before it is printed.
import { Telegram, TelegramError } from 'telegraf';
import type { Config } from '../config.js';
import { errorMessage } from '../lib/error-facts.js';
import type { Report } from './report.js';

/** telegraf waits minutes by default; a check must not. */
export const TELEGRAM_TIMEOUT_MS = 15_000;

type CallOptions = NonNullable<Parameters<Telegram['callApi']>[2]>;

function hint(code: number): string {
  if (code === 401 || code === 404) {
    return ' The bot token is wrong or was revoked: copy it again from @BotFather into TELEGRAM_BOT_TOKEN (or telegram.token).';
  }
  if (code === 429) return ' Telegram asks to slow down: try again in a minute.';
  return '';
}

export async function probeTelegram(
  config: Pick<Config, 'telegram'>,
  report: Report,
): Promise<boolean> {
  const telegram = new Telegram(config.telegram.token, { apiRoot: config.telegram.apiRoot });
  const where = URL.canParse(config.telegram.apiRoot)
    ? new URL(config.telegram.apiRoot).host
    : config.telegram.apiRoot;
  // telegraf types its signal with an old AbortSignal polyfill; node-fetch underneath takes
  // Node's own. Only the type differs (as in notify/telegram/notifier.ts).
  const options = { signal: AbortSignal.timeout(TELEGRAM_TIMEOUT_MS) } as unknown as CallOptions;
  try {
    const me = await telegram.callApi('getMe', {}, options);
    const name = me.username !== undefined ? `@${me.username}` : me.first_name;
    report.line('PASS', 'Telegram getMe (HTTP 200)', `${name} (bot id ${me.id}) at ${where}`);
    return true;
  } catch (err) {
    if (err instanceof TelegramError) {
      report.line(
        'FAIL',
        `Telegram getMe (HTTP ${err.code})`,
        `Telegram says: "${err.description}".${hint(err.code)}`,
      );
    } else {
      const reason = errorMessage(err);
      report.line(
        'FAIL',
        'Telegram getMe',
        `could not reach the Bot API at ${where}: ${reason}. Check the network, a proxy, and telegram.apiRoot.`,
      );
    }
    return false;
  }
}
