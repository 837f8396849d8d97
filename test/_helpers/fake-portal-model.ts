// The fake portal's in-memory model, shared by every API it speaks (Hydra v1, Strata, REST v3,
// GraphQL): one set of users, cases, comments and attachments, rendered differently per API.
// Types only and pure helpers; the state is made by createFakeModel (fake-portal-ops.ts).
import type { IncomingHttpHeaders } from 'node:http';

export interface UserModel {
  username: string;
  password: string | undefined;
  offlineToken: string | undefined;
  visibleCases: Set<string> | 'all';
  email: string;
}

export interface CommentModel {
  id: string;
  author: string;
  authorType: string;
  body: string;
  /** How the body is meant to be read; the body itself is stored as given. */
  contentType: 'plaintext' | 'html';
  createdAt: number;
  modifiedAt: number;
  edited: boolean;
  isPublic: boolean;
  isDraft: boolean;
}

/** One file on a case, as REST v3 `GET /cases/{n}/attachments` lists it (§7). */
export interface AttachmentModel {
  uuid: string;
  fileName: string;
  description: string;
  /** Bytes. */
  size: number;
  /** Display name. */
  createdBy: string;
  /** Only when the test set it: no public source shows the field (§7). */
  createdByType: 'Associate' | 'Customer' | undefined;
  /** Only when the test set it, likewise. */
  isPrivate: boolean | undefined;
  createdAt: number;
}

export interface CaseModel {
  id: string;
  number: string;
  summary: string;
  description: string;
  status: string;
  severity: string;
  product: string;
  version: string | undefined;
  /** Display name of whoever opened the case; undefined: each API's own placeholder. */
  createdBy: string | undefined;
  /** GraphQL RedHatSupportRecordType.Name (§6.2 filters on "Technical Support"). */
  recordType: string;
  /** GraphQL AccessRestrictions__c (§6.2 filters on "None"). */
  accessRestrictions: string;
  closed: boolean;
  /** When the case was closed (ms); undefined while open. */
  closedAt: number | undefined;
  createdAt: number;
  lastModifiedAt: number;
  group: string | undefined;
  groupNumber: string | undefined;
  comments: CommentModel[];
  attachments: AttachmentModel[];
}

/** One HTTP answer, before it is written. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  contentType?: string;
  body: string;
}

export type AuthResult = { user: UserModel } | { reason: string };

/** What the REST v3 and GraphQL renderers get from the server for one request. */
export interface ApiRequest {
  method: string;
  query: URLSearchParams;
  body: string;
  headers: IncomingHttpHeaders;
  /** The credential check, already done (each API words its 401 differently). */
  auth: AuthResult;
}

/** Read access to the model, as the renderers need it. */
export interface ModelView {
  readonly cases: ReadonlyMap<string, CaseModel>;
}

/** The whole mutable state: users, cases, and the fake's manual clock (ms since the epoch). */
export interface PortalState extends ModelView {
  readonly users: Map<string, UserModel>;
  readonly cases: Map<string, CaseModel>;
  clock: number;
}

/** Placeholders for case fields the model does not keep (same values on every API). */
export const ACCOUNT_NUMBER = '1234567';
export const CONTACT_NAME = 'Example Customer';
export const CASE_TYPE = 'Other';
export const CASE_OWNER = 'Engineer, Red Hat';

export const json = (status: number, value: unknown, headers?: Record<string, string>): Answer => ({
  status,
  contentType: 'application/json;charset=UTF-8',
  body: JSON.stringify(value),
  ...(headers ? { headers } : {}),
});

/** GraphQL's Product.Name: unlike REST, it includes the version (§4.1). */
export function productName(k: CaseModel): string {
  return k.version !== undefined ? `${k.product} ${k.version}` : k.product;
}

/** Who opened the case, as GraphQL's CreatedBy.Name shows it (a placeholder when unset). */
export function caseCreatorName(k: CaseModel): string {
  return k.createdBy ?? CONTACT_NAME;
}

export function canSee(user: UserModel, number: string): boolean {
  return user.visibleCases === 'all' || user.visibleCases.has(number);
}

/** Cases the user may see, in case-number order. */
export function visibleCases(model: ModelView, user: UserModel): CaseModel[] {
  return [...model.cases.values()]
    .filter((k) => canSee(user, k.number))
    .sort((a, b) => a.number.localeCompare(b.number));
}

export function newestFirst(a: CommentModel, b: CommentModel): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** A comment customers do not see: marked not public, or written as an internal note. */
export function isInternal(c: CommentModel): boolean {
  return !c.isPublic || c.authorType.toLowerCase() === 'internal';
}

/** A header's value as one string (Node joins repeated custom headers with ", "). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
