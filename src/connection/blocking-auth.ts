// The mutual HMAC handshake of Python's multiprocessing.connection (legacy and modern) on a blocking
// connection, in Python's order, within one deadline for the whole exchange.
import { now } from '../clock.js';
import { challengePrefix, createResponse, equalBytes, failure, handshakeMaxLength, makeChallenge, startsWith, verifyResponse, welcome, type ChallengeDigest } from './auth.js';
import type { BlockingConnection } from './blocking-connection.js';
import { AuthenticationError, ConnectionTimeoutError } from './errors.js';

function deliverChallenge(connection: BlockingConnection, authkey: Uint8Array, digest: ChallengeDigest, deadline: number): void {
  const message = makeChallenge(digest);
  const frame = new Uint8Array(challengePrefix.length + message.length);
  frame.set(challengePrefix);
  frame.set(message, challengePrefix.length);
  connection.sendBytes(frame);
  const response = connection.recvBytes(handshakeMaxLength, { timeout: Math.max(0, deadline - now()) });
  try {
    verifyResponse(authkey, message, response);
  } catch (error) {
    // The verdict is a courtesy to a peer that may be gone already; the failure is what matters.
    try {
      connection.sendBytes(failure);
    } catch {
      // the peer left
    }
    throw error;
  }
  connection.sendBytes(welcome);
}

function answerChallenge(connection: BlockingConnection, authkey: Uint8Array, deadline: number): void {
  const frame = connection.recvBytes(handshakeMaxLength, { timeout: Math.max(0, deadline - now()) });
  if (!startsWith(frame, challengePrefix)) throw new AuthenticationError('ERR_MP_AUTHENTICATION', 'protocol error: expected a challenge');
  connection.sendBytes(createResponse(authkey, frame.subarray(challengePrefix.length)));
  const verdict = connection.recvBytes(handshakeMaxLength, { timeout: Math.max(0, deadline - now()) });
  if (!equalBytes(verdict, welcome)) throw new AuthenticationError('ERR_MP_AUTHENTICATION', 'digest sent was rejected');
}

/**
 * The whole handshake on `connection` (the server challenges first, the client answers first), finished within
 * `timeout` ms or `ERR_MP_AUTHENTICATION_TIMEOUT`. Every failure is an {@link AuthenticationError}; the caller
 * closes the connection.
 */
export function authenticateSync(connection: BlockingConnection, role: 'server' | 'client', authkey: Uint8Array, digest: ChallengeDigest, timeout: number): void {
  const deadline = now() + timeout;
  connection.expectHandshake();
  try {
    if (role === 'server') {
      deliverChallenge(connection, authkey, digest, deadline);
      answerChallenge(connection, authkey, deadline);
    } else {
      answerChallenge(connection, authkey, deadline);
      deliverChallenge(connection, authkey, digest, deadline);
    }
  } catch (error) {
    if (error instanceof AuthenticationError) throw error;
    if (error instanceof ConnectionTimeoutError) {
      throw new AuthenticationError('ERR_MP_AUTHENTICATION_TIMEOUT', `the peer did not complete the handshake within ${timeout} ms`);
    }
    throw new AuthenticationError('ERR_MP_AUTHENTICATION', `the handshake failed: ${(error as Error).message}`, { cause: error });
  }
}
