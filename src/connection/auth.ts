// The mutual HMAC handshake of Python's multiprocessing.connection, both its legacy form (20 random bytes,
// raw HMAC-MD5; Python 3.11 and earlier) and its modern form (`{sha256}` and 40 random bytes, a prefixed
// MAC over the whole message; 3.12 and later), negotiated by message length as Python does.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from './errors.js';

/** The digests a Python 3.12+ peer accepts inside the braces of a challenge or a response. */
export type Digest = 'md5' | 'sha256' | 'sha384' | 'sha3_256' | 'sha3_384';

/** What this side's challenges look like: a modern `{digest}` challenge, or the 20-byte legacy one. */
export type ChallengeDigest = Digest | 'legacy';

export const digests: readonly Digest[] = ['md5', 'sha256', 'sha384', 'sha3_256', 'sha3_384'];

const nodeHash: Record<Digest, string> = { md5: 'md5', sha256: 'sha256', sha384: 'sha384', sha3_256: 'sha3-256', sha3_384: 'sha3-384' };

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
export const challengePrefix = ascii('#CHALLENGE#');
export const welcome = ascii('#WELCOME#');
export const failure = ascii('#FAILURE#');

/** Every handshake message is read with this maximum, as Python does. */
export const handshakeMaxLength = 256;

/** Random bytes in a legacy challenge; a message of this length (or 16, an MD5) is read as legacy. */
const legacyLength = 20;
const md5Length = 16;
const modernRandomLength = 40;
/** `}` must come within the first 10 bytes: the longest name is 8 characters. */
const longestName = 8;

/** The part of a challenge after `#CHALLENGE#`: what the responder MACs. */
export function makeChallenge(digest: ChallengeDigest): Uint8Array {
  if (digest === 'legacy') return new Uint8Array(randomBytes(legacyLength));
  const name = ascii(`{${digest}}`);
  const message = new Uint8Array(name.length + modernRandomLength);
  message.set(name);
  message.set(randomBytes(modernRandomLength), name.length);
  return message;
}

/** Python's `_get_digest_name_and_payload`: `undefined` for a legacy (16 or 20 byte) message. */
function digestAndPayload(message: Uint8Array): [Digest | undefined, Uint8Array] {
  if (message.length === legacyLength || message.length === md5Length) return [undefined, message];
  if (message[0] === 0x7b) {
    const close = message.subarray(0, longestName + 2).indexOf(0x7d, 1);
    if (close > 0) {
      const name = String.fromCharCode(...message.subarray(1, close));
      if ((digests as readonly string[]).includes(name)) return [name as Digest, message.subarray(close + 1)];
    }
  }
  throw new AuthenticationError('ERR_MP_AUTHENTICATION', `unsupported message length (${message.length} bytes), missing digest prefix, or unsupported digest`);
}

function mac(digest: Digest, authkey: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(nodeHash[digest], authkey).update(message).digest());
}

/**
 * The responder's answer to a challenge `message` (the bytes after `#CHALLENGE#`): a raw HMAC-MD5 for a
 * legacy challenge, else `{digest}` and the HMAC over the whole message, prefix included.
 */
export function createResponse(authkey: Uint8Array, message: Uint8Array): Uint8Array {
  if (message.length < legacyLength) throw new AuthenticationError('ERR_MP_AUTHENTICATION', `challenge too short: ${message.length} bytes`);
  const [digest] = digestAndPayload(message);
  if (digest === undefined) return mac('md5', authkey, message);
  const name = ascii(`{${digest}}`);
  const code = mac(digest, authkey, message);
  const response = new Uint8Array(name.length + code.length);
  response.set(name);
  response.set(code, name.length);
  return response;
}

/**
 * The challenger's check of a `response` to its `message`. A raw 16-byte MD5 is accepted whatever the
 * challenge offered (that is how Python 3.11 peers answer a modern challenge), as is any allowed digest.
 */
export function verifyResponse(authkey: Uint8Array, message: Uint8Array, response: Uint8Array): void {
  const [named, code] = digestAndPayload(response);
  const expected = mac(named ?? 'md5', authkey, message);
  if (expected.length !== code.length || !timingSafeEqual(expected, code)) throw new AuthenticationError('ERR_MP_AUTHENTICATION', 'digest received was wrong');
}

export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWith(a, b);
}

/** What a handshake needs of a connection. */
export interface HandshakeChannel {
  sendBytes(buf: Uint8Array): Promise<void>;
  recvBytes(maxlength: number, options: { signal: AbortSignal }): Promise<Uint8Array>;
}

/** Python's `deliver_challenge`: challenge the peer, check its answer, tell it the verdict. */
export async function deliverChallenge(channel: HandshakeChannel, authkey: Uint8Array, digest: ChallengeDigest, signal: AbortSignal): Promise<void> {
  const message = makeChallenge(digest);
  const frame = new Uint8Array(challengePrefix.length + message.length);
  frame.set(challengePrefix);
  frame.set(message, challengePrefix.length);
  await channel.sendBytes(frame);
  const response = await channel.recvBytes(handshakeMaxLength, { signal });
  try {
    verifyResponse(authkey, message, response);
  } catch (error) {
    // The verdict is a courtesy to a peer that may be gone already; the failure is what matters.
    await channel.sendBytes(failure).catch(() => {});
    throw error;
  }
  await channel.sendBytes(welcome);
}

/** Python's `answer_challenge`: answer the peer's challenge and read its verdict. */
export async function answerChallenge(channel: HandshakeChannel, authkey: Uint8Array, signal: AbortSignal): Promise<void> {
  const frame = await channel.recvBytes(handshakeMaxLength, { signal });
  if (!startsWith(frame, challengePrefix)) throw new AuthenticationError('ERR_MP_AUTHENTICATION', 'protocol error: expected a challenge');
  await channel.sendBytes(createResponse(authkey, frame.subarray(challengePrefix.length)));
  const verdict = await channel.recvBytes(handshakeMaxLength, { signal });
  if (!equalBytes(verdict, welcome)) throw new AuthenticationError('ERR_MP_AUTHENTICATION', 'digest sent was rejected');
}

const deadlineReason = Symbol('handshake deadline');

/**
 * The whole mutual handshake, as Python orders it: the server (`Listener.accept()`) challenges first and then
 * answers; the client answers first and then challenges. It must finish within `timeout` ms, so a silent
 * peer cannot hold a connection. Every failure is an {@link AuthenticationError} (the cause says more),
 * except an abort of `signal`, which rejects with its reason.
 */
export async function authenticate(
  channel: HandshakeChannel,
  role: 'server' | 'client',
  authkey: Uint8Array,
  digest: ChallengeDigest,
  timeout: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = new AbortController();
  const timer = Number.isFinite(timeout) ? setTimeout(() => deadline.abort(deadlineReason), timeout) : undefined;
  const onAbort = (): void => deadline.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (role === 'server') {
      await deliverChallenge(channel, authkey, digest, deadline.signal);
      await answerChallenge(channel, authkey, deadline.signal);
    } else {
      await answerChallenge(channel, authkey, deadline.signal);
      await deliverChallenge(channel, authkey, digest, deadline.signal);
    }
  } catch (error) {
    if (deadline.signal.aborted && deadline.signal.reason === deadlineReason) {
      throw new AuthenticationError('ERR_MP_AUTHENTICATION_TIMEOUT', `the peer did not complete the handshake within ${timeout} ms`);
    }
    if (signal?.aborted === true) throw signal.reason;
    if (error instanceof AuthenticationError) throw error;
    throw new AuthenticationError('ERR_MP_AUTHENTICATION', `the handshake failed: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
