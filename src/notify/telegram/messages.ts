// Which message an outbox entry becomes on Telegram: the formats of format.ts and
// format-events.ts, given the chat's /length and the operator's links. Pure.
import type { Config } from '../../config.js';
import type { Case, Comment } from '../../domain.js';
import type { Links } from '../../links.js';
import type { ChatState, OutboxEntry } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import { formatCaseClosed, formatComment, formatStatusChange } from './format.js';
import { formatAttachment, formatNewCase, formatSeverityChange } from './format-events.js';
import type { OutgoingMessage } from './html.js';

export interface MessageSettings {
  config: Pick<Config, 'notify' | 'poll'>;
  links: Links;
}

/** The message for an entry, or the reason it cannot be built (a broken entry is rejected). */
export function messageFor(
  entry: DeepReadonly<OutboxEntry>,
  chat: Pick<DeepReadonly<ChatState>, 'maxCommentChars'>,
  options: MessageSettings,
): OutgoingMessage | string {
  const kase: Case | undefined = entry.case;
  // The chat's /length, else the operator's default; 0 = privacy mode.
  const maxChars = chat.maxCommentChars ?? options.config.notify.maxCommentChars;
  const caseUrl = kase ? options.links.caseUrl(kase.number) : '';
  switch (entry.kind) {
    case 'notice':
      if (entry.text === undefined || entry.text === '') return 'a notice without text';
      return { text: entry.text, parseMode: 'HTML', buttons: [], disablePreview: true };
    case 'comment': {
      const comment: Comment | undefined = entry.comment;
      if (!kase || !comment) return 'a comment entry without its case or comment';
      return formatComment({
        kase,
        comment,
        maxChars,
        caseUrl,
        commentUrl: options.links.commentUrl(kase.number, comment.id),
      });
    }
    case 'status':
      if (!kase) return 'a status entry without its case';
      return formatStatusChange({ kase, previousStatus: entry.text ?? '', caseUrl });
    case 'closed':
      if (!kase) return 'a closed entry without its case';
      return formatCaseClosed({
        kase,
        caseUrl,
        unfollowed: !options.config.poll.keepClosedCases,
      });
    case 'new-case':
      if (!entry.case) return 'a new-case entry without its case';
      return formatNewCase({ kase: entry.case, rule: entry.rule, maxChars, caseUrl });
    case 'severity':
      if (!entry.case) return 'a severity entry without its case';
      return formatSeverityChange({
        kase: entry.case,
        previousSeverity: entry.text ?? '',
        caseUrl,
      });
    case 'attachment':
      if (!entry.case || !entry.attachment) {
        return 'an attachment entry without its case or attachment';
      }
      return formatAttachment({
        kase: entry.case,
        attachment: entry.attachment,
        // Not positive (0, or a broken value): privacy mode, like formatComment.
        privacy: !(maxChars > 0),
        caseUrl,
      });
  }
}
