// Injected faults of the fake portal: fail({...}) makes the next `times` matching requests
// misbehave (status, Retry-After, delay, broken bodies). This file keeps the queue of faults and
// turns a real answer into the broken one a fault asks for, per API flavour.
import { readFileSync } from 'node:fs';
import {
  ACCESS_DENIED_HTML,
  GRAPHQL_TRANSIENT,
  graphqlError,
  withBadGraphqlComment,
  withGraphqlErrors,
} from './fake-portal-graphql.js';
import { json, type Answer } from './fake-portal-model.js';
import type { FakeBrokenBody, FakeEndpoint, FakeFault, FakeFlavour } from './fake-portal-types.js';
import { STRATA_NAMESPACE, XML_PROLOG, v1Error, xml } from './fake-portal-v1.js';
import { v3Error } from './fake-portal-v3.js';

const ERROR_PAGE_HTML = readFileSync(
  new URL('../portal/fixtures/error-page.html', import.meta.url),
  'utf8',
);

export interface FaultQueue {
  add(fault: FakeFault): void;
  clear(): void;
  /** The first pending fault matching the request, used up by one; undefined when none. */
  take(endpoint: FakeEndpoint, flavour: FakeFlavour, caseNumber?: string): FakeFault | undefined;
}

export function createFaultQueue(): FaultQueue {
  const faults: (FakeFault & { remaining: number })[] = [];
  return {
    add(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    clear() {
      faults.length = 0;
    },
    take(endpoint, flavour, caseNumber) {
      const fault = faults.find(
        (f) =>
          f.remaining > 0 &&
          f.endpoint === endpoint &&
          (f.flavour === undefined || f.flavour === flavour) &&
          (f.caseNumber === undefined || f.caseNumber === caseNumber),
      );
      if (fault) fault.remaining--;
      return fault;
    },
  };
}

/** The error answer of a fault with a `status`, in each API's own error shape. */
export function faultStatusAnswer(
  flavour: FakeFlavour,
  status: number,
  strataMessage: string | undefined,
): Answer {
  switch (flavour) {
    case 'sso':
      return json(status, { error: 'server_error', error_description: 'Injected failure' });
    case 'graphql':
      return graphqlError(status, 'Injected failure');
    case 'v3':
      return v3Error(status, 'Injected failure');
    case 'hydra':
    case 'strata':
      return v1Error(flavour, status, strataMessage ?? 'Injected failure');
  }
}

/** The real `answer` broken as `kind` says. */
export function breakBody(answer: Answer, kind: FakeBrokenBody, flavour: FakeFlavour): Answer {
  const isXml = flavour === 'strata';
  switch (kind) {
    case 'html':
      return { status: 502, contentType: 'text/html; charset=utf-8', body: ERROR_PAGE_HTML };
    case 'access-denied':
      return { status: 403, contentType: 'text/html', body: ACCESS_DENIED_HTML };
    case 'graphql-errors':
      return withGraphqlErrors(answer);
    case 'graphql-transient':
      return GRAPHQL_TRANSIENT;
    case 'truncated':
      return { ...answer, body: answer.body.slice(0, Math.floor(answer.body.length / 2)) };
    case 'malformed':
      return isXml
        ? xml(
            200,
            `${XML_PROLOG}<status xmlns="${STRATA_NAMESPACE}"><message>OK</message></status>`,
          )
        : json(200, { message: 'OK', status: 200 });
    case 'not-json':
      return { status: 200, contentType: 'text/plain', body: 'Service temporarily unavailable' };
    case 'bad-comment': {
      if (answer.status !== 200) return answer;
      if (flavour === 'graphql') return withBadGraphqlComment(answer);
      return isXml ? withBadXmlComment(answer) : withBadJsonComment(answer);
    }
  }
}

/** Strata: the newest comment loses its id attribute and its createdDate. */
function withBadXmlComment(answer: Answer): Answer {
  const start = answer.body.search(/<comment[\s>]/);
  const end = answer.body.indexOf('</comment>', start);
  if (start < 0 || end < 0) return answer;
  const broken = answer.body
    .slice(start, end)
    .replace(/ id="[^"]*"/, '')
    .replace(/<createdDate>[^<]*<\/createdDate>/, '');
  return { ...answer, body: answer.body.slice(0, start) + broken + answer.body.slice(end) };
}

/** JSON (a bare list or `{comments: [...]}`): the first entry loses id and createdDate. */
function withBadJsonComment(answer: Answer): Answer {
  const value: unknown = JSON.parse(answer.body);
  const list: unknown = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && 'comments' in value
      ? value.comments
      : undefined;
  const newest: unknown = Array.isArray(list) ? list[0] : undefined;
  if (Array.isArray(list) && typeof newest === 'object' && newest !== null) {
    const first: Record<string, unknown> = { ...newest };
    delete first.id;
    delete first.createdDate;
    list[0] = first;
  }
  return { ...answer, body: JSON.stringify(value) };
}
