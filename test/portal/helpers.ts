// Shared set-up for the portal tests: a factory wired to the fake portal, a logger whose
// lines are captured verbatim (no scrubbing, so a leak in portal/ is visible), fixtures, and
// the suite's manual clock (test/_helpers/clock.ts), re-exported here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Config, Env, LogLevel } from '../../src/config.js';
import type { Clock } from '../../src/domain.js';
import type { Logger } from '../../src/logger.js';
import { createPortalClientFactory } from '../../src/portal/index.js';
import {
  isPortalError,
  type PortalClientFactory,
  type PortalCredential,
  type PortalError,
  type PortalErrorKind,
} from '../../src/portal/types.js';
import type { FakePortal } from '../_helpers/fake-portal.js';
import { collectLogs, NO_SCRUBBING, type LogCollector } from '../_helpers/logs.js';
import { waitUntil } from '../_helpers/wait.js';

export { manualClock } from '../_helpers/clock.js';

export type Api = Config['portal']['api'];
export type CredentialKind = PortalCredential['kind'];
/** The v1-era REST APIs the wire tests cover (v3 has its own tests). */
export const APIS: readonly Exclude<Api, 'v3'>[] = ['hydra', 'strata'];
export const CREDENTIAL_KINDS: readonly CredentialKind[] = ['offline-token', 'basic'];

/** The test user of the fake, with both credential kinds. */
export const USER = {
  username: 'portal-reader',
  password: 'correct horse battery staple 42',
  offlineToken: 'eyJhbGciOiJIUzI1NiJ9.offline-token-for-tests.c2VjcmV0LXNpZ25hdHVyZQ',
} as const;

/**
 * The case every portal scenario is built around (fixtures of both flavours, and the fake's
 * model in client.test.ts), as the client must return it: leading zeros and "8.10" kept as text.
 */
export const KERNEL_PANIC_CASE = {
  number: '00012345',
  summary: 'Kernel panic after update to RHEL 8.10',
  status: 'Waiting on Customer',
  severity: '2 (High)',
  product: 'Red Hat Enterprise Linux',
  version: '8.10',
  closed: false,
  lastModifiedAt: '2024-05-01T11:00:00.000Z',
  group: 'Platform team',
} as const;

export function credential(kind: CredentialKind): PortalCredential {
  return kind === 'basic'
    ? { kind: 'basic', username: USER.username, password: USER.password }
    : { kind: 'offline-token', offlineToken: USER.offlineToken };
}

export function readFixture(path: string): string {
  return readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8');
}

/** The suite's log collector without the production scrubber: a leak in portal/ shows. */
export function captureLogger(level: LogLevel = 'debug'): LogCollector {
  return collectLogs({ level, scrubber: NO_SCRUBBING });
}

export function portalConfig(
  fake: Pick<FakePortal, 'hydraBaseUrl' | 'strataBaseUrl' | 'tokenUrl'> &
    Partial<Pick<FakePortal, 'v3BaseUrl' | 'graphqlUrl'>>,
  api: Api,
  overrides: Partial<Config['portal']> = {},
): Config['portal'] {
  return {
    api,
    baseUrl:
      api === 'hydra'
        ? fake.hydraBaseUrl
        : api === 'strata'
          ? fake.strataBaseUrl
          : (fake.v3BaseUrl ?? 'http://127.0.0.1:9/support/v3'),
    graphqlUrl: fake.graphqlUrl ?? 'http://127.0.0.1:9/graphql',
    tokenUrl: fake.tokenUrl,
    timeoutSeconds: 5,
    maxResponseBytes: 20 * 1024 * 1024,
    caseUrlTemplate: 'https://access.redhat.com/support/cases/#/case/{caseNumber}',
    commentUrlTemplate:
      'https://access.redhat.com/support/cases/#/case/{caseNumber}?commentId={commentId}',
    ...overrides,
  };
}

export function makeFactory(options: {
  fake: Pick<FakePortal, 'hydraBaseUrl' | 'strataBaseUrl' | 'tokenUrl'>;
  api: Api;
  logger?: Logger;
  env?: Env;
  clock?: Clock;
  portal?: Partial<Config['portal']>;
}): PortalClientFactory {
  return createPortalClientFactory({
    portal: portalConfig(options.fake, options.api, options.portal),
    logger: options.logger ?? captureLogger('silent').logger,
    userAgent: 'tickets-pushbot/test',
    version: '0.0.0-test',
    env: options.env ?? {},
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

/** Awaits a rejection and checks it is a PortalError of `kind`; returns it for more checks. */
export async function rejectsWithKind(
  promise: Promise<unknown>,
  kind: PortalErrorKind,
): Promise<PortalError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isPortalError(err), `expected a PortalError, got ${String(err)}`);
    assert.equal(err.kind, kind, `expected kind ${kind}, got ${err.kind}: ${err.message}`);
    return err;
  }
  assert.fail(`expected a PortalError of kind ${kind}, but the call succeeded`);
}

/** Polls `predicate` until true, or fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  await waitUntil(predicate, { timeoutMs, intervalMs: 10 });
}
