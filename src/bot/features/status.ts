// /status, for the operator: is the daemon working, and what fails? Only chats listed in
// telegram.adminChatIds get an answer; for any other chat the command does not exist (the
// fallback answers as for any unknown command), so it reveals nothing about the daemon.
import { Composer, type Context } from 'telegraf';
import type { MetricsSnapshot } from '../../metrics.js';
import { escapeHtml } from '../../notify/telegram/format.js';
import type { PortalPath } from '../../portal/types.js';
import { describeQuiet } from '../../rules/quiet.js';
import type { ChatState, State } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import { formatUtc } from '../../text.js';
import type { BotServices, StatusFeatureDeps } from '../context.js';
import { replyHtml } from '../support/reply.js';

/** Short names for /status; the log says more (v3.ts describePath). */
const PATH_NAMES: Readonly<Record<PortalPath, string>> = {
  graphql: 'GraphQL',
  'graphql+rest': 'GraphQL + REST v3 comments',
  rest: 'REST v3 alone',
  hydra: 'Hydra v1 (switched off 2026-09-21)',
  strata: 'Strata (legacy)',
};
/** Up to this many credentials are listed one by one; more are summed up per path. */
const MAX_LISTED_CREDENTIALS = 5;

/** "offline token …1a2b: GraphQL" lines, or "GraphQL ×12, REST v3 alone ×1". */
function pathLines(paths: ReadonlyMap<string, PortalPath>, state: DeepReadonly<State>): string[] {
  if (paths.size === 0) return ['Read through: (no credential polled yet)'];
  if (paths.size <= MAX_LISTED_CREDENTIALS) {
    return [...paths].map(
      ([id, path]) =>
        `Read through: ${escapeHtml(state.credentials[id]?.label ?? id)} → ${PATH_NAMES[path]}`,
    );
  }
  const byPath = new Map<string, number>();
  for (const path of paths.values()) {
    byPath.set(PATH_NAMES[path], (byPath.get(PATH_NAMES[path]) ?? 0) + 1);
  }
  return [`Read through: ${counts(Object.fromEntries(byPath))}`];
}

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;

/** "3 d 4 h", "4 h 12 min", "12 min", "42 s". */
export function formatDuration(ms: number): string {
  const v = Math.max(0, Math.floor(ms));
  if (v < MS_PER_MINUTE) return `${Math.floor(v / 1000)} s`;
  const days = Math.floor(v / MS_PER_DAY);
  const hours = Math.floor((v % MS_PER_DAY) / MS_PER_HOUR);
  const minutes = Math.floor((v % MS_PER_HOUR) / MS_PER_MINUTE);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  return `${minutes} min`;
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms < MS_PER_MINUTE ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}

/** "429 ×3, 403 ×1", most frequent first; "none" when empty. */
function counts(map: Readonly<Record<string, number>>): string {
  const entries = Object.entries(map).filter(([, n]) => n > 0);
  if (entries.length === 0) return 'none';
  return entries
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, n]) => `${escapeHtml(code)} ×${n}`)
    .join(', ');
}

/** "2 rules · quiet 22:00–07:00 (Europe/Rome) · file notices on": one chat's delivery settings. */
function chatSettings(chat: DeepReadonly<ChatState> | undefined): string {
  const rules = chat?.rules?.length ?? 0;
  const quiet = chat?.quiet ? `quiet ${escapeHtml(describeQuiet(chat.quiet))}` : 'no quiet hours';
  const files = chat?.attachments === false ? 'off' : 'on';
  return `${rules} rule${rules === 1 ? '' : 's'} · ${quiet} · file notices ${files}`;
}

/** The /status text (HTML). Pure: everything it shows comes in. */
export function formatStatus(input: {
  version: string;
  now: number;
  metrics: MetricsSnapshot;
  state: DeepReadonly<State>;
  /** Per credential id, the path its cases are read through. */
  paths?: ReadonlyMap<string, PortalPath>;
  /** The chat asking: its own rules, quiet hours and file notices are shown too. */
  chatId?: number;
}): string {
  const { metrics: m, state, now } = input;
  const chats = Object.values(state.chats);
  const active = chats.filter((c) => c.active).length;
  const subs = chats.flatMap((c) => Object.values(c.subscriptions));
  const notVisible = subs.filter((sub) => sub.notVisibleAt !== undefined).length;
  const closed = subs.filter((sub) => sub.closed).length;
  const slackOn = chats.filter((c) => c.slack && c.slack.disabledAt === undefined).length;
  const slackPaused = chats.filter((c) => c.slack?.disabledAt !== undefined).length;
  const rules = chats.reduce((n, c) => n + (c.rules?.length ?? 0), 0);
  const withRules = chats.filter((c) => (c.rules?.length ?? 0) > 0).length;
  const quiet = chats.filter((c) => c.quiet !== undefined).length;
  const filesOff = chats.filter((c) => c.attachments === false).length;
  const muted = subs.filter((sub) => sub.muted).length;
  const waiting = { telegram: 0, slack: 0 };
  let oldest: number | undefined;
  for (const e of state.outbox) {
    waiting[e.destination]++;
    const t = Date.parse(e.createdAt);
    if (!Number.isNaN(t) && (oldest === undefined || t < oldest)) oldest = t;
  }

  const cycle = m.lastCycle
    ? `${formatUtc(m.lastCycle.at)} (${formatDuration(now - m.lastCycle.at)} ago), took ${formatMs(m.lastCycle.durationMs)} · ${m.cycles} cycle${m.cycles === 1 ? '' : 's'}`
    : 'none yet';
  const sweep = m.lastSweep
    ? `${formatDuration(now - m.lastSweep.at)} ago, ${m.lastSweep.cases} case${m.lastSweep.cases === 1 ? '' : 's'} in ${formatMs(m.lastSweep.durationMs)}`
    : 'none yet';
  const subsExtra = [
    ...(notVisible > 0 ? [`${notVisible} not visible`] : []),
    ...(closed > 0 ? [`${closed} closed`] : []),
  ];
  const waitingLine =
    `Waiting: Telegram ${waiting.telegram} · Slack ${waiting.slack}` +
    (oldest !== undefined ? ` (oldest ${formatDuration(now - oldest)})` : '');

  return [
    `📊 <b>tickets-pushbot ${escapeHtml(input.version)}</b>`,
    `Up ${formatDuration(now - m.startedAt)} (since ${formatUtc(m.startedAt)})`,
    '',
    '<b>Polling</b>',
    `Last cycle: ${cycle}`,
    `Last full check: ${sweep}`,
    `Portal requests: ${m.portal.requests} · errors: ${counts(m.portal.errors)}`,
    ...(input.paths !== undefined ? pathLines(input.paths, state) : []),
    '',
    '<b>Chats</b>',
    `Active ${active} · inactive ${chats.length - active}`,
    `Following ${subs.length} case${subs.length === 1 ? '' : 's'}${subsExtra.length > 0 ? ` (${subsExtra.join(', ')})` : ''}`,
    `Slack: ${slackOn} on · ${slackPaused} paused`,
    `Rules: ${rules} in ${withRules} chat${withRules === 1 ? '' : 's'} · muted cases ${muted}`,
    `Quiet hours: ${quiet} chat${quiet === 1 ? '' : 's'} · file notices off: ${filesOff}`,
    ...(input.chatId !== undefined
      ? [`This chat: ${chatSettings(state.chats[String(input.chatId)])}`]
      : []),
    '',
    '<b>Notifications</b>',
    `Sent: Telegram ${m.sent.telegram} · Slack ${m.sent.slack}`,
    waitingLine,
    `Telegram errors: ${counts(m.sendErrors.telegram)}`,
    `Slack errors: ${counts(m.sendErrors.slack)}`,
  ].join('\n');
}

export function statusFeature(s: BotServices, deps: StatusFeatureDeps): Composer<Context> {
  const bot = new Composer<Context>();

  bot.command('status', async (ctx, next) => {
    if (!s.config.telegram.adminChatIds.includes(ctx.chat.id)) {
      s.log.info({ chatId: ctx.chat.id }, '/status from a chat that is not an admin chat');
      return next();
    }
    await replyHtml(
      ctx,
      formatStatus({
        version: deps.version,
        now: s.clock.now(),
        metrics: deps.metrics.snapshot(),
        state: s.store.read(),
        ...(deps.paths !== undefined ? { paths: deps.paths() } : {}),
        chatId: ctx.chat.id,
      }),
    );
  });

  return bot;
}
