// Facts every destination shows the same way: a case's severity as "Sev N" (a red mark for 1),
// which way a severity change went, who attached a file and how big it is. Pure; the Telegram
// and Slack formats escape what these return.
import { severityLevel, type AuthorType } from '../domain.js';
import { field, FIELD_MAX_CHARS } from '../text.js';

/** Before "Sev 1" everywhere: the one level someone should look at now. */
export const URGENT_MARK = '🔴';

const BYTE_UNITS = ['kB', 'MB', 'GB', 'TB'] as const;
/** SI steps (1 MB = 1,000,000 bytes), as the portal and most browsers show sizes. */
const BYTE_STEP = 1000;

/** "🔴 Sev 1", "Sev 3"; '' when the portal's severity names no level (nothing is guessed). */
export function severityTag(severity: string): string {
  const level = severityLevel(severity);
  if (level === undefined) return '';
  return level === 1 ? `${URGENT_MARK} Sev 1` : `Sev ${level}`;
}

/** "🔴 Sev 1", the portal's own words when they name no level, or "unknown". */
export function severityName(severity: string): string {
  return severityTag(severity) || field(severity, FIELD_MAX_CHARS) || 'unknown';
}

/**
 * The header's start: "💬 Sev 2 · " or, with no level, "💬 ". A phone's notification shows the
 * first line only, so the level comes right after the kind's emoji.
 */
export function headerStart(emoji: string, severity: string): string {
  const tag = severityTag(severity);
  return tag === '' ? `${emoji} ` : `${emoji} ${tag} · `;
}

/** ⬆️ when the case became more urgent (a lower number), ⬇️ less, ↕️ when a side has no level. */
export function severityArrow(before: string, after: string): string {
  const from = severityLevel(before);
  const to = severityLevel(after);
  if (from === undefined || to === undefined || from === to) return '↕️';
  return to < from ? '⬆️' : '⬇️';
}

/** "Red Hat" or "customer"; undefined when the portal does not say (attachments often). */
export function authorRole(type: AuthorType): string | undefined {
  if (type === 'associate') return 'Red Hat';
  if (type === 'customer') return 'customer';
  return undefined;
}

/** " (2.4 MB)", or nothing when the portal did not say. */
export function sizeSuffix(size: number | undefined): string {
  const human = size === undefined ? '' : formatBytes(size);
  return human === '' ? '' : ` (${human})`;
}

/** "512 B", "2.4 MB", "140 MB"; '' for a size that is not a size. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < BYTE_STEP) return `${Math.round(bytes)} B`;
  let value = bytes;
  for (const [i, unit] of BYTE_UNITS.entries()) {
    value /= BYTE_STEP;
    // One decimal below 100 ("2.4 MB"), whole numbers above; a value that rounds up to 1000
    // moves to the next unit ("1.0 MB", not "1000 kB").
    const shown = value < 99.95 ? value.toFixed(1) : String(Math.round(value));
    if (Number(shown) < BYTE_STEP || i === BYTE_UNITS.length - 1) return `${shown} ${unit}`;
  }
  return '';
}
