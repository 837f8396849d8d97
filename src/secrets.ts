// Secrets at rest and in logs.
//
// SecretBox: AES-256-GCM (node:crypto) with a random 96-bit IV per value. Ciphertexts are
// self-describing strings "enc:v1:<iv>:<tag>:<data>" (base64url) so the state schema can refuse
// anything that is not encrypted. The 256-bit key is derived with scrypt from the operator's
// secret (PUSHBOT_SECRET_KEY) or from the generated key file.
//
// SecretScrubber: remembers every secret value the process has seen (bot token, decrypted
// credentials, webhook URLs) and replaces them, plus well-known secret shapes, in any text.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const KEY_BYTES = 32;
// A fixed, public salt: the key material is already random (generated file) or operator-chosen;
// scrypt only slows down guessing of a weak operator passphrase.
const KDF_SALT = 'tickets-pushbot/secret-box/v1';

export const ENCRYPTED_PATTERN = /^enc:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]*$/;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  /** Stable, non-reversible id for a secret (HMAC-SHA256, hex, 16 chars): dedupes credentials. */
  fingerprint(plain: string): string;
}

export function createSecretBox(keyMaterial: string): SecretBox {
  if (keyMaterial.length < 16) {
    throw new SecretBoxError('the secret key must be at least 16 characters long');
  }
  const key = scryptSync(keyMaterial, KDF_SALT, KEY_BYTES);
  return {
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `${PREFIX}${iv.toString('base64url')}:${tag.toString('base64url')}:${data.toString('base64url')}`;
    },
    decrypt(sealed) {
      if (!ENCRYPTED_PATTERN.test(sealed))
        throw new SecretBoxError('value is not an encrypted secret');
      const [ivText, tagText, dataText] = sealed.slice(PREFIX.length).split(':');
      try {
        const decipher = createDecipheriv(
          'aes-256-gcm',
          key,
          Buffer.from(ivText ?? '', 'base64url'),
        );
        decipher.setAuthTag(Buffer.from(tagText ?? '', 'base64url'));
        return Buffer.concat([
          decipher.update(Buffer.from(dataText ?? '', 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new SecretBoxError(
          'cannot decrypt a stored secret: the secret key differs from the one it was stored with',
        );
      }
    },
    fingerprint(plain) {
      return createHmac('sha256', key).update(plain, 'utf8').digest('hex').slice(0, 16);
    },
  };
}

/** Generates key material for a new key file: 32 random bytes, base64url. */
export function generateKeyMaterial(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

const MASK = '[secret]';
// Shapes that are secrets whatever their value: a Telegram bot token, HTTP auth headers,
// OAuth fields in URLs, forms or JSON, Slack webhook paths, passwords inside URLs.
const SECRET_SHAPES: readonly [RegExp, string][] = [
  [/(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}/g, MASK],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${MASK}`],
  [/\b(refresh_token|access_token|id_token|password|client_secret)=[^&\s"']+/gi, `$1=${MASK}`],
  // JSON fields, also when the JSON sits escaped inside another JSON string (\"token\":\"…\").
  [
    /(\\?"(?:refresh_token|access_token|id_token|password|offlineToken|token|webhook|webhookUrl)\\?"\s*:\s*\\?")[^"\\]*/gi,
    `$1${MASK}`,
  ],
  // Any JWT (access tokens, offline tokens): header.payload.signature, base64url.
  [/\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/g, MASK],
  [/hooks\.slack\.com\/services\/[A-Za-z0-9_/-]+/gi, `hooks.slack.com/services/${MASK}`],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${MASK}@`],
];

export interface SecretScrubber {
  /** Remember a secret value; every later scrub() masks it. Short values are ignored. */
  add(secret: string | undefined): void;
  scrub(text: string): string;
}

export function createSecretScrubber(
  initial: readonly (string | undefined)[] = [],
): SecretScrubber {
  const known = new Set<string>();
  let pattern: RegExp | undefined;
  const rebuild = () => {
    const parts = [...known]
      .sort((a, b) => b.length - a.length)
      .flatMap((s) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)])
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = parts.length > 0 ? new RegExp([...new Set(parts)].join('|'), 'g') : undefined;
  };
  const scrubber: SecretScrubber = {
    add(secret) {
      // Very short strings would mask ordinary words; no real secret of ours is that short.
      if (secret === undefined || secret.length < 6 || known.has(secret)) return;
      known.add(secret);
      rebuild();
    },
    scrub(text) {
      let out = pattern ? text.replace(pattern, MASK) : text;
      for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
      return out;
    },
  };
  for (const s of initial) scrubber.add(s);
  return scrubber;
}
