import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../lib/logger';
import { createPiiCipher, encryptTravelerNames, maskEmail, maskName, PiiDecryptError } from '../../lib/pii';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const indexKey = randomBytes(32).toString('base64');

/** Replaces one base64url character of a part of the token with another. */
function flip(token: string, part: number): string {
  const parts = token.split('.');
  const s = parts[part]!;
  const i = Math.floor(s.length / 2);
  parts[part] = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  return parts.join('.');
}

describe('PII field encryption', () => {
  const cipher = createPiiCipher({ active_key_id: 'a', keys: { a: keyA }, index_key: indexKey });

  it('blind-indexes an email: the same for any case and spacing, another for another key or address', () => {
    const index = cipher.emailIndex('Jane.Doe@Example.com ');
    expect(index).toMatch(/^[0-9a-f]{64}$/);
    expect(cipher.emailIndex('jane.doe@example.com')).toBe(index);
    expect(cipher.emailIndex('john.doe@example.com')).not.toBe(index);
    const other = createPiiCipher({ active_key_id: 'a', keys: { a: keyA }, index_key: keyB });
    expect(other.emailIndex('jane.doe@example.com')).not.toBe(index);
  });

  it('round-trips, with a fresh IV each time, in the v1.<keyId>.<iv>.<ciphertext> format', () => {
    for (const plain of ['DOE', 'Zoë Ångström-Łukasiewicz 山田', '', '{"email":"jane@example.com"}']) {
      const token = cipher.encrypt(plain);
      expect(token).toMatch(/^v1\.a\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      expect(cipher.decrypt(token)).toBe(plain);
    }
    expect(cipher.encrypt('DOE')).not.toBe(cipher.encrypt('DOE'));
    expect(cipher.encrypt('jane@example.com')).not.toContain('example');
  });

  it('throws on a tampered ciphertext, IV, key id or a malformed value', () => {
    const token = cipher.encrypt('JANE');
    expect(() => cipher.decrypt(flip(token, 3))).toThrow(PiiDecryptError);
    expect(() => cipher.decrypt(flip(token, 2))).toThrow(PiiDecryptError);
    expect(() => cipher.decrypt(token.slice(0, -2))).toThrow(PiiDecryptError);
    expect(() => cipher.decrypt(token.replace('v1.a.', 'v1.b.'))).toThrow(/unknown pii key id "b"/);
    expect(() => cipher.decrypt(token.replace('v1.', 'v2.'))).toThrow(PiiDecryptError);
    expect(() => cipher.decrypt('JANE')).toThrow(PiiDecryptError);

    // The key id is bound to the ciphertext: relabelling it under another configured key fails too.
    const both = createPiiCipher({ active_key_id: 'a', keys: { a: keyA, b: keyA }, index_key: indexKey });
    expect(() => both.decrypt(both.encrypt('JANE').replace('v1.a.', 'v1.b.'))).toThrow(PiiDecryptError);
  });

  it('rotates: values under the old key still decrypt after the active key changes', () => {
    const before = createPiiCipher({ active_key_id: 'a', keys: { a: keyA }, index_key: indexKey });
    const oldToken = before.encrypt('SMITH');
    const after = createPiiCipher({ active_key_id: 'b', keys: { a: keyA, b: keyB }, index_key: indexKey });
    const newToken = after.encrypt('JONES');
    expect(newToken.startsWith('v1.b.')).toBe(true);
    expect(after.decrypt(oldToken)).toBe('SMITH');
    expect(after.decrypt(newToken)).toBe('JONES');
    expect(() => before.decrypt(newToken)).toThrow(/unknown pii key id/);
  });

  it('refuses a configuration whose active key is missing', () => {
    expect(() => createPiiCipher({ active_key_id: 'z', keys: { a: keyA }, index_key: indexKey })).toThrow(
      /active_key_id/,
    );
  });
});

describe('encryptTravelerNames', () => {
  const cipher = createPiiCipher({ active_key_id: 'a', keys: { a: keyA }, index_key: indexKey });

  it('encrypts trimmed names and the date of birth; no date of birth is null', () => {
    const t = encryptTravelerNames(cipher, { first_name: ' Jane ', last_name: 'Doe  ', date_of_birth: '1990-04-01' });
    expect([t.firstName, t.lastName, t.dateOfBirth].map((v) => cipher.decrypt(v!))).toEqual([
      'Jane',
      'Doe',
      '1990-04-01',
    ]);
    expect(t.firstName).not.toContain('Jane');
    expect(encryptTravelerNames(cipher, { first_name: 'A', last_name: 'B' }).dateOfBirth).toBeNull();
  });
});

describe('masking', () => {
  it('masks emails and names', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j***@example.com');
    expect(maskEmail('not-an-email')).toBe('***');
    expect(maskName('Jane Mary Doe')).toBe('J*** M*** D***');
    expect(maskName('  Łukasz ')).toBe('Ł***');
  });
});

describe('log redaction', () => {
  it('prints [redacted] for names, dates of birth, emails and phones of a traveler, at any usual depth', () => {
    const lines: string[] = [];
    const logger = createLogger({ log: { level: 'info', pretty: false } }, 'test', { write: (s) => lines.push(s) });
    const traveler = {
      ptc: 'ADT',
      first_name: 'Jane',
      last_name: 'Doe',
      date_of_birth: '1990-01-31',
      email: 'jane@example.com',
      phone: '+15551234567',
    };
    const row = { firstName: 'Jane', lastName: 'Doe', dateOfBirth: '1990-01-31' };
    logger.info(
      {
        traveler,
        order: { travelers: [traveler], contact: { email: 'jane@example.com', phone: '+15551234567' } },
        row,
        email: 'jane@example.com',
        password: 'correct horse battery',
      },
      'order created',
    );

    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    for (const secret of ['Jane', 'Doe', '1990-01-31', 'jane@example.com', '5551234567', 'correct horse']) {
      expect(line).not.toContain(secret);
    }
    const entry = JSON.parse(line) as {
      traveler: Record<string, string>;
      order: { travelers: Record<string, string>[]; contact: unknown };
      row: Record<string, string>;
      email: string;
      msg: string;
    };
    expect(entry.traveler).toMatchObject({
      ptc: 'ADT',
      first_name: '[redacted]',
      last_name: '[redacted]',
      date_of_birth: '[redacted]',
      email: '[redacted]',
      phone: '[redacted]',
    });
    expect(entry.order.travelers[0]!.first_name).toBe('[redacted]');
    expect(entry.order.contact).toBe('[redacted]');
    expect(entry.row).toEqual({ firstName: '[redacted]', lastName: '[redacted]', dateOfBirth: '[redacted]' });
    expect(entry.email).toBe('[redacted]');
    expect(entry.msg).toBe('order created');
  });
});

describe('redact (the one pass over what is logged)', () => {
  it('never changes the logged object, copies only the branches with a secret, and censors child bindings', () => {
    const traveler = { ptc: 'ADT', first_name: 'Jane' };
    const untouched = { route: '/v1/flights/search', status: 200 };
    const logged = { traveler, untouched, list: [traveler, 1], err: new Error('x') };
    const out = redact(logged);
    expect(logged.traveler.first_name).toBe('Jane');
    expect(out.traveler).toEqual({ ptc: 'ADT', first_name: '[redacted]' });
    expect(out.list).toEqual([{ ptc: 'ADT', first_name: '[redacted]' }, 1]);
    expect(out.untouched).toBe(untouched); // no secret below: the same object, not a copy
    expect(out.err).toBe(logged.err); // errors go to their serializer as they are
    const plain = { method: 'GET', status: 404, ms: 1 };
    expect(redact(plain)).toBe(plain);

    const lines: string[] = [];
    const logger = createLogger({ log: { level: 'info', pretty: false } }, 'test', { write: (l) => lines.push(l) });
    logger.child({ email: 'jane@example.com', request_id: 'r1' }).info('hello');
    expect(lines[0]).not.toContain('jane@example.com');
    expect(JSON.parse(lines[0]!)).toMatchObject({ email: '[redacted]', request_id: 'r1' });
  });
});
