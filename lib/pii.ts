import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { AppConfig } from '../config';

/**
 * Field encryption for passenger PII at rest: AES-256-GCM, one random 96-bit IV per value, the version and key
 * id bound in as associated data. A value reads `v1.<keyId>.<iv>.<ciphertext+tag>` (base64url), so keys can
 * rotate: encryption uses the active key, decryption any configured key.
 */

export interface PiiCipher {
  encrypt(plain: string): string;
  /** Throws PiiDecryptError for a malformed, tampered or unknown-key value. */
  decrypt(token: string): string;
  /**
   * A blind index of an email (HMAC-SHA256 under pii.index_key, of the trimmed lower-cased address, hex): equal
   * addresses give equal indexes, so an encrypted contact can be found by its email without decrypting every row.
   */
  emailIndex(email: string): string;
}

export class PiiDecryptError extends Error {
  override name = 'PiiDecryptError';
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]+$/;

export function createPiiCipher(config: AppConfig['pii']): PiiCipher {
  const keys = new Map<string, Buffer>();
  for (const [id, b64] of Object.entries(config.keys)) {
    if (!KEY_ID.test(id)) throw new Error(`pii.keys: key id "${id}" may only use letters, digits, "_" and "-"`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) throw new Error(`pii.keys.${id}: must be 32 bytes, base64`);
    keys.set(id, key);
  }
  const activeId = config.active_key_id;
  const activeKey = keys.get(activeId);
  if (!activeKey) throw new Error(`pii.active_key_id: "${activeId}" is not one of pii.keys`);

  const indexKey = Buffer.from(config.index_key, 'base64');
  if (indexKey.length !== 32) throw new Error('pii.index_key: must be 32 bytes, base64');

  return {
    emailIndex: (email) => createHmac('sha256', indexKey).update(email.trim().toLowerCase()).digest('hex'),
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', activeKey, iv);
      cipher.setAAD(Buffer.from(`${VERSION}.${activeId}`));
      const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${activeId}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
    },
    decrypt(token) {
      const parts = token.split('.');
      const [version, keyId, ivText, sealedText] = parts;
      if (parts.length !== 4 || version !== VERSION || !keyId || !ivText || sealedText === undefined) {
        throw new PiiDecryptError('not an encrypted value');
      }
      const key = keys.get(keyId);
      if (!key) throw new PiiDecryptError(`unknown pii key id "${keyId}"`);
      const iv = Buffer.from(ivText, 'base64url');
      const sealed = Buffer.from(sealedText, 'base64url');
      if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES) throw new PiiDecryptError('not an encrypted value');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(`${VERSION}.${keyId}`));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new PiiDecryptError('the encrypted value was altered or the key is wrong');
      }
    },
  };
}

/** A traveler's names and date of birth as the API takes them (snake_case, in clear). */
export interface TravelerNamesInput {
  first_name: string;
  last_name: string;
  date_of_birth?: string | null;
}

/**
 * The encrypted `{ firstName, lastName, dateOfBirth }` of a traveler, as the order workflow and the travelers
 * table keep them: names trimmed, no date of birth as null. The one place API input becomes PII at rest.
 */
export function encryptTravelerNames(
  pii: Pick<PiiCipher, 'encrypt'>,
  t: TravelerNamesInput,
): { firstName: string; lastName: string; dateOfBirth: string | null } {
  return {
    firstName: pii.encrypt(t.first_name.trim()),
    lastName: pii.encrypt(t.last_name.trim()),
    dateOfBirth: t.date_of_birth ? pii.encrypt(t.date_of_birth) : null,
  };
}

/** `jane.doe@example.com` → `j***@example.com`: enough to recognise, not to contact. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** `Jane Mary Doe` → `J*** M*** D***`. */
export function maskName(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => `${[...w][0]}***`)
    .join(' ');
}
