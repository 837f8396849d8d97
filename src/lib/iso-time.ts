// ISO-8601 times as the store keeps them (strings): which of two is later, read once here.

/** The later of two ISO times; an unreadable or absent candidate never wins. */
export function laterIso(
  stored: string | undefined,
  candidate: string | undefined,
): string | undefined {
  if (candidate === undefined || Number.isNaN(Date.parse(candidate))) return stored;
  if (stored === undefined || Number.isNaN(Date.parse(stored))) return candidate;
  return Date.parse(candidate) > Date.parse(stored) ? candidate : stored;
}
