// Open cases for the follow-rule tests, placed in the portal's search order on purpose.
import { USER, type Harness } from './harness.js';

export const OPENSHIFT = 'Red Hat OpenShift Container Platform';
export const RHEL = 'Red Hat Enterprise Linux';

/** A case changed `minute` minutes after 2024-05-01T09:00Z (its place in the search). */
export function seed(
  h: Harness,
  number: string,
  fields: { severity?: string; product?: string; closed?: boolean; minute?: number } = {},
) {
  const minute = fields.minute ?? Number(number.slice(-3));
  return h.portal.addCase({
    number,
    severity: fields.severity ?? '3 (Normal)',
    product: fields.product ?? RHEL,
    closed: fields.closed ?? false,
    lastModifiedAt: new Date(Date.UTC(2024, 4, 1, 9, 0) + minute * 60_000).toISOString(),
  });
}

export function chatOf(h: Harness, chatId = USER) {
  return h.store.read().chats[String(chatId)];
}
