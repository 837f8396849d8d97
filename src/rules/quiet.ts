// Quiet hours: a daily window, in an IANA time zone, during which notifications arrive
// silently. Pure: parsing and "is it quiet at this instant"; the clock is the caller's.
export interface QuietHours {
  /** "HH:MM", 24-hour. */
  from: string;
  /** "HH:MM", 24-hour; before `from` means the window crosses midnight. */
  to: string;
  /** IANA zone name, as Intl resolves it ("Europe/Rome"). */
  timeZone: string;
}

export type ParsedQuiet = { ok: true; quiet: QuietHours } | { ok: false; error: string };

export const QUIET_EXAMPLE = '/quiet 22:00-07:00 Europe/Rome';

const RANGE = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/;

function clockTime(h: string | undefined, m: string | undefined): string | undefined {
  const hours = Number(h);
  const minutes = Number(m);
  if (!Number.isInteger(hours) || hours > 23 || !Number.isInteger(minutes) || minutes > 59) {
    return undefined;
  }
  return `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

/** The zone's canonical name, or undefined when Intl does not know it. */
export function resolveTimeZone(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The daemon's own zone (TZ), the default of /quiet. */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Parses "22:00-07:00 [Zone]"; the zone defaults to `defaultZone`. */
export function parseQuiet(text: string, defaultZone: string): ParsedQuiet {
  const parts = text.trim().split(/\s+/);
  const zoneGiven = parts.length > 1 && !/^[-\d:]+$/.test(parts[parts.length - 1] ?? '');
  const zoneText = zoneGiven ? (parts.pop() ?? '') : defaultZone;
  const m = RANGE.exec(parts.join(''));
  const from = m ? clockTime(m[1], m[2]) : undefined;
  const to = m ? clockTime(m[3], m[4]) : undefined;
  if (from === undefined || to === undefined) {
    return {
      ok: false,
      error: `I could not read that time range. Write it as start-end in 24-hour time, for example ${QUIET_EXAMPLE}.`,
    };
  }
  if (from === to) {
    return {
      ok: false,
      error: `The range starts and ends at ${from}: give two different times, for example ${QUIET_EXAMPLE}.`,
    };
  }
  const timeZone = resolveTimeZone(zoneText);
  if (timeZone === undefined) {
    return {
      ok: false,
      error: `I don't know the time zone "${zoneText}". Use a name like Europe/Rome or America/New_York, for example ${QUIET_EXAMPLE}.`,
    };
  }
  return { ok: true, quiet: { from, to, timeZone } };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function minutesOfDay(epochMs: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  let hours = 0;
  let minutes = 0;
  for (const part of f.formatToParts(new Date(epochMs))) {
    if (part.type === 'hour') hours = Number(part.value);
    if (part.type === 'minute') minutes = Number(part.value);
  }
  return hours * 60 + minutes;
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** True when `epochMs` falls in the window, in the window's zone (from inclusive, to exclusive). */
export function isQuietAt(quiet: Readonly<QuietHours>, epochMs: number): boolean {
  const now = minutesOfDay(epochMs, quiet.timeZone);
  const from = toMinutes(quiet.from);
  const to = toMinutes(quiet.to);
  return from < to ? now >= from && now < to : now >= from || now < to;
}

export function describeQuiet(quiet: Readonly<QuietHours>): string {
  return `${quiet.from}–${quiet.to} (${quiet.timeZone})`;
}
