// The command menu: one list feeds setMyCommands (the client's "/" menu) and /help, so the two
// never disagree. Names are a contract with users: extend, never rename.

export interface BotCommandInfo {
  /** 1..32 characters of a-z, 0-9, _ (Bot API rule for setMyCommands). */
  readonly command: string;
  /** One line for the menu and /help: 1..256 characters. */
  readonly description: string;
  /** A complete example the user can copy. */
  readonly example: string;
}

export const BOT_COMMANDS: readonly BotCommandInfo[] = [
  { command: 'start', description: 'What this bot does and how to begin', example: '/start' },
  { command: 'setup', description: 'Connect your Red Hat account', example: '/setup' },
  { command: 'add', description: 'Follow one or more cases', example: '/add 01234567' },
  { command: 'remove', description: 'Stop following cases', example: '/remove 01234567' },
  { command: 'list', description: 'The cases this chat follows', example: '/list' },
  {
    command: 'follow',
    description: 'Follow the open cases a rule matches',
    example: '/follow sev 1 product openshift',
  },
  { command: 'rules', description: 'This chat’s follow rules', example: '/rules' },
  { command: 'unfollow', description: 'Remove a follow rule', example: '/unfollow 1' },
  { command: 'latest', description: 'Latest comment of a case', example: '/latest 01234567' },
  { command: 'mute', description: 'A case’s messages arrive silently', example: '/mute 01234567' },
  { command: 'unmute', description: 'A muted case rings again', example: '/unmute 01234567' },
  {
    command: 'quiet',
    description: 'Daily quiet hours; off ends them',
    example: '/quiet 22:00-07:00 Europe/Rome',
  },
  {
    command: 'notify',
    description: 'Whose comments: associate, customer or both',
    example: '/notify both',
  },
  {
    command: 'length',
    description: 'Longest comment text to show; 0 = none',
    example: '/length 500',
  },
  {
    command: 'attachments',
    description: 'Notices of new files: on or off',
    example: '/attachments off',
  },
  { command: 'whoami', description: 'Show the chat id and your user id', example: '/whoami' },
  {
    command: 'slack',
    description: 'Mirror notifications to a Slack channel',
    example: '/slack https://hooks.slack.com/services/…',
  },
  { command: 'forget', description: 'Delete everything stored for this chat', example: '/forget' },
  { command: 'cancel', description: 'Stop the current question', example: '/cancel' },
  { command: 'help', description: 'All commands with examples', example: '/help' },
];

/** Accepted but not in the menu: /notification is the alias of /notify. */
export const COMMAND_ALIASES: Readonly<Record<string, string>> = { notification: 'notify' };

/** Known (never taken as a wizard answer) but not in the menu: /status is for admin chats only. */
export const HIDDEN_COMMANDS: readonly string[] = ['status'];

const KNOWN = new Set([
  ...BOT_COMMANDS.map((c) => c.command),
  ...Object.keys(COMMAND_ALIASES),
  ...HIDDEN_COMMANDS,
]);

/**
 * The command name of a message ("/add@my_bot 123" → "add"), or undefined when the text is not
 * a command. `botUsername` filters out commands addressed to another bot in a group.
 */
export function commandOf(text: string, botUsername: string): string | undefined {
  const match = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s|$)/.exec(text);
  if (!match) return undefined;
  const [, name, to] = match;
  if (name === undefined) return undefined;
  if (to !== undefined && to.toLowerCase() !== botUsername.toLowerCase()) return undefined;
  return name.toLowerCase();
}

export function isKnownCommand(name: string | undefined): boolean {
  return name !== undefined && KNOWN.has(name);
}
