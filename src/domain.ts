// The project's own vocabulary. Nothing here knows Red Hat's wire formats or Telegram's API:
// portal/ converts vendor payloads into these types at the edge.
import { setTimeout as timerSleep } from 'node:timers/promises';

/** A support case number: digits only, leading zeros significant ("00012345"). */
export type CaseNumber = string;

export const CASE_NUMBER_PATTERN = /^\d{1,12}$/;

/** Who a chat wants to hear from: Red Hat staff, the customer side, or both. */
export type Audience = 'associate' | 'customer' | 'both';
export const AUDIENCES: readonly Audience[] = ['associate', 'customer', 'both'];
export const DEFAULT_AUDIENCE: Audience = 'associate';

/**
 * Who wrote a comment. Only 'associate' and 'customer' comments are ever delivered: an
 * 'internal' one (Red Hat's private notes) or one we cannot classify is never shown to anyone.
 */
export type AuthorType = 'associate' | 'customer' | 'internal' | 'unknown';

/**
 * Where a comment's id comes from. The same comment carries different ids through the v1
 * APIs (Hydra and Strata share theirs), REST v3 and GraphQL, so ids are compared only within
 * one space.
 */
export type IdSpace = 'v1' | 'v3-rest' | 'graphql';
export const ID_SPACES: readonly IdSpace[] = ['v1', 'v3-rest', 'graphql'];

export interface Case {
  number: CaseNumber;
  summary: string;
  status: string;
  severity: string;
  product: string;
  /** Product version as the portal writes it ("8.10" stays "8.10"); absent when not given. */
  version?: string;
  closed: boolean;
  /** ISO-8601 UTC. */
  lastModifiedAt: string;
  group?: string;
  /** The case's description as its opener wrote it (plain text); absent when not read. */
  description?: string;
  /** Who opened the case (display name); absent when the API does not tell. */
  createdBy?: string;
  /** ISO-8601 UTC; absent when not read. */
  createdAt?: string;
}

/** A file attached to a case (REST v3 `GET /cases/{n}/attachments`). */
export interface Attachment {
  /** The portal's uuid: the dedupe key. */
  id: string;
  caseNumber: CaseNumber;
  fileName: string;
  /** Bytes; absent when the portal did not say. */
  size?: number;
  /** Display name of who attached it. */
  author: string;
  /**
   * 'unknown' when the API does not classify the author (no public source shows that it
   * does): such a notice goes to every audience, as a file on a case is not a private note.
   */
  authorType: AuthorType;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** True when the portal marks the file private (Red Hat only): never announced. */
  isPrivate: boolean;
}

const SEVERITY_WORDS: Readonly<Record<string, number>> = {
  urgent: 1,
  high: 2,
  normal: 3,
  medium: 3,
  low: 4,
};

/**
 * The leading number of the portal's severity ("1 (Urgent)" → 1, "Sev 2" → 2); a bare word
 * ("Urgent") by its usual number. Undefined when it says neither.
 */
export function severityLevel(severity: string): number | undefined {
  const text = severity.trim().toLowerCase();
  const m = /^(?:sev(?:erity)?\s*)?([1-4])(?!\d)/.exec(text);
  if (m) return Number(m[1]);
  return SEVERITY_WORDS[/^[a-z]+/.exec(text)?.[0] ?? ''];
}

export interface Comment {
  id: string;
  caseNumber: CaseNumber;
  author: string;
  authorType: AuthorType;
  body: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** False for anything not meant for the customer side: internal notes, non-Public visibility. */
  isPublic: boolean;
  isDraft: boolean;
  /** The id space of `id`; absent means 'v1'. */
  idSpace?: IdSpace;
}

/** True when a comment of this author type is meant for this audience. */
export function audienceWants(audience: Audience, authorType: AuthorType): boolean {
  // An internal note, or an author we cannot classify, is never delivered: a private note
  // pushed to a group chat cannot be taken back.
  if (authorType !== 'associate' && authorType !== 'customer') return false;
  return audience === 'both' || authorType === audience;
}

/** The day Red Hat switched its v1 case APIs (Hydra, its mirrors, Strata) off. */
export const V1_SWITCH_OFF_DATE = '2026-09-21';

/** Injected time source: code never reads Date.now() directly where tests need control. */
export interface Clock {
  now(): number;
}

export interface SleepOptions {
  /** Ends the sleep early: it resolves as soon as this aborts (at once when already aborted). */
  signal?: AbortSignal;
  /** false: this wait alone does not keep the process alive (an idle wait). Default true. */
  ref?: boolean;
}

/**
 * Injected waiting. The loops (poll scheduler, delivery worker, the engine's shutdown budget)
 * wait only through this, so tests drive them with a manual clock (test/_helpers/clock.ts)
 * instead of real milliseconds.
 */
export interface Sleeper {
  /**
   * Resolves after `ms` of this clock's time, or early when `options.signal` aborts; never
   * rejects. A caller that must know which happened reads `signal.aborted`.
   */
  sleep(ms: number, options?: SleepOptions): Promise<void>;
}

/** Real time: Date.now() and node's timers. */
export const systemClock: Clock & Sleeper = {
  now: () => Date.now(),
  async sleep(ms, options = {}) {
    try {
      await timerSleep(ms, undefined, { signal: options.signal, ref: options.ref ?? true });
    } catch (err) {
      // An abort is the early end the caller asked for, not a failure.
      if (options.signal?.aborted) return;
      throw err;
    }
  },
};

export interface AdminReport {
  /** Which part of the daemon failed: "poller", "delivery", "store", ... */
  component: string;
  error: unknown;
  /** Safe facts that help: chat id, case number, entry id. Never secrets. */
  context?: Record<string, unknown>;
}

/** Tells the operators about a failure the daemon survived (notify/admin-reporter.ts). */
export interface AdminReporter {
  /** Fire and forget: reporting must never make the failing path fail harder. */
  report(input: AdminReport): void;
}
