// Portal failures in words for a person on a phone. The distinction that matters most: the
// portal said no to the credential (the user must act) versus the portal could not be reached
// or answered oddly (nobody typed anything wrong; try later). Never "wrong password" for a
// network error.
import { escapeHtml } from '../../notify/telegram/format.js';
import { isPortalError, type PortalCredential, type PortalError } from '../../portal/types.js';
import type { Logger } from '../../logger.js';

export type PortalResult<T> = { ok: true; value: T } | { ok: false; error: PortalError };

/**
 * Runs a portal call and returns a PortalError as a value, logged by kind and status only.
 * Anything else (a bug) is rethrown for bot.catch.
 */
export async function tryPortal<T>(
  log: Logger,
  what: string,
  call: () => Promise<T>,
): Promise<PortalResult<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    if (!isPortalError(err)) throw err;
    log.warn({ op: what, kind: err.kind, status: err.status }, 'portal call failed');
    return { ok: false, error: err };
  }
}

/** The answer to a failed /setup check. Nothing was saved in every case. */
export function credentialCheckProblem(err: PortalError, credential: PortalCredential): string {
  switch (err.kind) {
    case 'auth':
      return credential.kind === 'basic'
        ? '❌ The Red Hat portal did not accept this username and password. Check them and send them again, or /cancel.'
        : '❌ The Red Hat portal did not accept this offline token (mistyped, expired or revoked?). Send a new one, or /cancel.';
    case 'not-visible':
      return '❌ The portal accepted the login but this account may not read support cases. Use an account with case access, or /cancel.';
    case 'rate-limited':
      return '⏳ The Red Hat portal asked me to slow down. Nothing was saved. Send the credential again in a minute, or /cancel.';
    case 'transient':
      return '📡 I could not reach the Red Hat portal (network problem or the portal is slow). Your credential was not checked and nothing was saved. Send it again in a few minutes, or /cancel.';
    case 'bad-payload':
      return '⚠️ The Red Hat portal gave an answer I did not understand, so I could not check the credential. Nothing was saved. Try again later; if it keeps happening, tell the bot operator.';
    case 'unsupported':
    case 'gone':
      return '🛠 The Red Hat portal’s case API did not answer the way I expect, so I could not check the credential. Nothing was saved. This is not your fault: please tell the bot operator (they can run “tickets-pushbot check”).';
  }
}

/** A short reason after a case number ("01234567: <reason>"). */
export function caseProblem(err: PortalError): string {
  switch (err.kind) {
    case 'not-visible':
      return 'not visible to your account (wrong number, or outside its Case Groups)';
    case 'auth':
      return 'the portal rejected this chat’s login: run /setup again';
    case 'rate-limited':
      return 'the portal asked me to slow down, try again in a minute';
    case 'transient':
      return 'the portal could not be reached, try again later';
    case 'bad-payload':
      return 'the portal’s answer was unreadable, try again later';
    case 'unsupported':
    case 'gone':
      return 'the portal’s case API did not answer as expected; tell the bot operator (they can run “tickets-pushbot check”)';
  }
}

/** A whole message about one case, e.g. for /latest. */
export function caseProblemMessage(caseNumber: string, err: PortalError): string {
  const icon = err.kind === 'not-visible' || err.kind === 'auth' ? '🚫' : '⚠️';
  return `${icon} <b>${escapeHtml(caseNumber)}</b>: ${escapeHtml(caseProblem(err))}.`;
}

/**
 * A failed case search (/follow), as a whole message; nothing was stored. 'unsupported' and
 * 'gone' are not here: for the user they mean "this login cannot search", said by the caller.
 */
export function searchProblemMessage(err: PortalError): string {
  const reason =
    err.kind === 'not-visible'
      ? 'the portal says this account may not search cases'
      : caseProblem(err);
  const icon = err.kind === 'auth' || err.kind === 'not-visible' ? '🚫' : '⚠️';
  return `${icon} I could not search this chat’s cases: ${escapeHtml(reason)}. Nothing was saved.`;
}
