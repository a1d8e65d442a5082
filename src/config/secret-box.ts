/**
 * Encryption at rest of secret configuration values (a mount's `aws.secretKey`, ...): AES-256-GCM
 * with a 32-byte key kept in a 0600 file beside the cluster token. A sealed value is
 * `enc:v1:` + base64url(iv | tag | ciphertext); the caller's context (e.g. the mount path and the
 * option key) is the additional authenticated data, so a sealed value copied to another mount or
 * another key does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TierfsError } from '../errors.js';
import { writePrivateFileExclusive } from './private-files.js';

export const SEALED_PREFIX = 'enc:v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The key in `file`, which must hold exactly 32 bytes. */
  static fromFile(file: string): SecretBox {
    let key: Buffer;
    try {
      key = readFileSync(file);
    } catch (error) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `cannot read the secret key ${file}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (key.length !== KEY_BYTES) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `the secret key ${file} holds ${key.length} bytes, expected ${KEY_BYTES}; restore it from a backup or run \`tierfs format\``,
      );
    }
    return new SecretBox(key);
  }

  /** A fresh random key, written to `file` (mode 0600); fails if the file exists. */
  static create(file: string): SecretBox {
    const key = randomBytes(KEY_BYTES);
    writePrivateFileExclusive(file, key);
    return new SecretBox(key);
  }

  /** A box over a key held in memory only (tests, embedding). */
  static ofKey(key: Buffer): SecretBox {
    if (key.length !== KEY_BYTES) throw new RangeError(`a secret key is ${KEY_BYTES} bytes`);
    return new SecretBox(Buffer.from(key));
  }

  static isSealed(value: string): boolean {
    return value.startsWith(SEALED_PREFIX);
  }

  seal(value: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
  }

  /** The plain value, or undefined when the key or the context is not the one it was sealed with. */
  open(sealed: string, context: string): string | undefined {
    if (!SecretBox.isSealed(sealed)) return undefined;
    const bytes = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
