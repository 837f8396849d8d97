// In-memory counters for /status: what the daemon did since it started. Plain numbers, reset
// on restart, no library: an operator asks "is it working, and what fails?", not for history.
//
// Who records what (wired in main.ts):
//   poller      recordCycle() after each cycle, recordSweep() after each sweep
//   portal      recordPortalRequest() per HTTP call, with the PortalError kind when it failed
//   delivery    countOutcomes() wraps each Notifier: sent per destination, errors per code
import type { Clock } from './domain.js';
import type { Notifier, SendOutcome } from './notify/notifier.js';
import type { Destination } from './outbox/index.js';

export interface MetricsSnapshot {
  /** Epoch ms. */
  startedAt: number;
  lastCycle: { at: number; durationMs: number } | undefined;
  cycles: number;
  lastSweep: { at: number; durationMs: number; cases: number } | undefined;
  portal: { requests: number; errors: Record<string, number> };
  sent: Record<Destination, number>;
  /** Per destination: error code ("429", "403", "no_service", "network") → count. */
  sendErrors: Record<Destination, Record<string, number>>;
}

export interface Metrics {
  readonly startedAt: number;
  /** A poll cycle ended at `at` (epoch ms) after `durationMs`. */
  recordCycle(at: number, durationMs: number): void;
  /** A sweep ended at `at` after reading `cases` cases. */
  recordSweep(at: number, durationMs: number, cases: number): void;
  /** One portal HTTP request; `errorKind` (a PortalError kind) when it failed. */
  recordPortalRequest(errorKind?: string): void;
  recordSent(destination: Destination): void;
  recordSendError(destination: Destination, code: string): void;
  snapshot(): MetricsSnapshot;
}

// An error map never grows past this many codes: codes come from remote answers.
const MAX_CODES_PER_MAP = 50;

function bump(map: Record<string, number>, key: string): void {
  if (!(key in map) && Object.keys(map).length >= MAX_CODES_PER_MAP) key = 'other';
  map[key] = (map[key] ?? 0) + 1;
}

export function createMetrics(clock: Clock): Metrics {
  const startedAt = clock.now();
  let lastCycle: MetricsSnapshot['lastCycle'];
  let cycles = 0;
  let lastSweep: MetricsSnapshot['lastSweep'];
  let portalRequests = 0;
  const portalErrors: Record<string, number> = {};
  const sent: Record<Destination, number> = { telegram: 0, slack: 0 };
  const sendErrors: Record<Destination, Record<string, number>> = { telegram: {}, slack: {} };

  return {
    startedAt,
    recordCycle(at, durationMs) {
      cycles++;
      lastCycle = { at, durationMs: Math.max(0, Math.round(durationMs)) };
    },
    recordSweep(at, durationMs, cases) {
      lastSweep = { at, durationMs: Math.max(0, Math.round(durationMs)), cases };
    },
    recordPortalRequest(errorKind) {
      portalRequests++;
      if (errorKind !== undefined) bump(portalErrors, errorKind);
    },
    recordSent(destination) {
      sent[destination]++;
    },
    recordSendError(destination, code) {
      bump(sendErrors[destination], code);
    },
    snapshot() {
      return {
        startedAt,
        lastCycle: lastCycle ? { ...lastCycle } : undefined,
        cycles,
        lastSweep: lastSweep ? { ...lastSweep } : undefined,
        portal: { requests: portalRequests, errors: { ...portalErrors } },
        sent: { ...sent },
        sendErrors: { telegram: { ...sendErrors.telegram }, slack: { ...sendErrors.slack } },
      };
    },
  };
}

/**
 * The code of a failed SendOutcome for the counters: the HTTP status the adapters put first in
 * their reasons ("Telegram 429: …", "Slack 404 no_service"), the Slack error name when there is
 * one, "network" when there was no answer, else the outcome kind.
 */
export function outcomeCode(outcome: SendOutcome): string {
  if (outcome.kind === 'migrated') return 'migrated';
  if (outcome.kind === 'ok') return 'ok';
  const m = /^(?:Telegram|Slack) (\d{3})(?::)?(?: ([a-z][a-z0-9_]*))?/.exec(outcome.reason);
  if (m?.[1]) return m[2] !== undefined ? `${m[1]} ${m[2]}` : m[1];
  if (/unreachable|network|ECONN|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|timeout/i.test(outcome.reason))
    return 'network';
  return outcome.kind;
}

/** Wraps a Notifier so every send is counted; the outcome passes through unchanged. */
export function countOutcomes(notifier: Notifier, metrics: Metrics): Notifier {
  return {
    destination: notifier.destination,
    async send(entry, chat, options) {
      const outcome = await notifier.send(entry, chat, options);
      if (outcome.kind === 'ok') metrics.recordSent(notifier.destination);
      else metrics.recordSendError(notifier.destination, outcomeCode(outcome));
      return outcome;
    },
  };
}
