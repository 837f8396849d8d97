// The outbox: notifications waiting in `state.outbox` for their destination (Telegram, Slack).
// This folder is the only code that adds, removes or moves its entries; everything else reads
// (test/outbox/boundary.test.ts checks). Plain functions on a draft, called inside
// store.update(), which must stay synchronous.
//
// THE SEEN RULE: a comment becomes seen (its subscription's `seen`, store/seen.ts) only once no
// destination still holds it. Each entry that is settled (delivered, refused for good, or
// dropped with its destination) marks its comment seen only if no other entry of that chat and
// comment is left (settle.ts). Until then the comment is pending, and the poller never enqueues
// a comment that is seen or pending, by id or by print (PendingComments): between them, seen and
// pending cover every comment the chat was given.
// The closed-case rule rides on the same step: the "closed" message ends the subscription when
// its last entry settles, unless poll.keepClosedCases.
// ATTACHMENTS ARE MARKED AT ENQUEUE, unlike comments: a new file's uuid goes into its
// subscription's `attachmentsSeen` in the same transaction that adds its entries (the poller,
// poller/apply-attachments.ts), since the entry itself is durable: it stays until settled, so the
// notice is still sent at least once, and an entry dropped with its destination or its case
// leaves the file seen (not announced again). Settling an attachment entry changes nothing else.
//
// At least once, nothing lost. An entry leaves only when settled, or when the user drops what it
// belongs to (/forget a chat, /remove a case: no seen record is left to keep). A duplicate can
// appear only between a destination's acceptance and the commit that settles the entry (a
// crash, a store that refuses the write): the entry is still here and is sent again
// (notify/delivery.ts). Never from enqueueing: ids are stable (entryId) and an id already
// pending is not added twice; a migrated chat keeps one entry per id.
//
// Who writes, through what:
//   enqueue  the poller (comments, status, severity, closed, new-case, attachment, notices); the
//            worker ("Slack paused" and "no topics here" notices)
//   settle   the worker, after a destination accepted or refused an entry for good
//   drop     /forget (chat), /remove (cases), /unfollow (the cases only that rule held), /slack
//            off and a disabled webhook (destination), the worker (entries whose chat or
//            destination is gone)
//   migrate  the worker, when a group became a supergroup
// The worker keeps an entry's own retry fields (attempts, notBefore, lastError) in place.
export {
  dropForCases,
  dropForChat,
  dropForDestination,
  dropUndeliverable,
  isUndeliverable,
} from './drop.js';
export { enqueueOne, enqueuer, PendingComments, type Enqueuer } from './enqueue.js';
export {
  attachmentSnapshot,
  caseSnapshot,
  commentSnapshot,
  destinationsOf,
  entryId,
  newCaseSnapshot,
  NEW_CASE_DESCRIPTION_MAX_CHARS,
  type Destination,
} from './entries.js';
export { migrateChat } from './migrate.js';
export { settleEntry } from './settle.js';
