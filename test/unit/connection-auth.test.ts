// The handshake's messages, checked against bytes captured from real Python 3.11 and 3.13 (PYTHON_INTEROP 3.5).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { createResponse, digests, makeChallenge, verifyResponse } from '../../src/connection/auth.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/ /g, ''), 'hex'));
const key = new TextEncoder().encode('z');
const codeOf = (error: unknown): unknown => (error as { code?: string }).code;

const legacyChallenge = fromHex('3e 4d 5b e7 cd b3 7f 07 a3 1f 30 8f 06 ca 48 1f 47 5c be 35');
const legacyAnswer = '508037dca231aebd8683853e87c2043e';
const modernChallenge = fromHex(
  '7b 73 68 61 32 35 36 7d 4e 6e 6f e8 f8 11 ad 24 6c bb ce 08 41 c1 34 ec 87 b7 61 6d 7a 74 f8 37 54 ee a9 b0 ed 24 aa fd c4 87 71 eb 9c 69 d7 69',
);
const modernAnswer = '7b736861323536 7d 7a2c57a0a95e8e731233ddd36393925ce55f02b587ec328aba8c4cc9eda2a824'.replace(/ /g, '');

describe('handshake messages', () => {
  it('answers a legacy challenge with the raw HMAC-MD5 Python 3.11 sent', () => {
    assert.equal(hex(createResponse(key, legacyChallenge)), legacyAnswer);
  });

  it('answers a modern challenge with {sha256} and the HMAC over the whole message, as Python 3.13 did', () => {
    assert.equal(hex(createResponse(key, modernChallenge)), modernAnswer);
  });

  it('accepts every answer Python accepts', () => {
    verifyResponse(key, legacyChallenge, fromHex(legacyAnswer));
    verifyResponse(key, modernChallenge, fromHex(modernAnswer));
    // A 3.11 peer answers a modern challenge with a raw MD5 of all 48 bytes.
    verifyResponse(key, modernChallenge, new Uint8Array(createHmac('md5', key).update(modernChallenge).digest()));
    for (const digest of digests) {
      const challenge = makeChallenge(digest);
      verifyResponse(key, challenge, createResponse(key, challenge));
    }
  });

  it('rejects a wrong key, a truncated MAC, an unknown digest and a 20-byte answer', () => {
    const other = new TextEncoder().encode('y');
    const wrong = [
      createResponse(other, modernChallenge),
      createResponse(other, legacyChallenge),
      fromHex(modernAnswer).subarray(0, 39),
      new Uint8Array([...new TextEncoder().encode('{sha512}'), ...new Uint8Array(64)]),
      new Uint8Array(20),
      new Uint8Array(0),
    ];
    for (const response of wrong) {
      assert.throws(() => verifyResponse(key, modernChallenge, response), (error) => codeOf(error) === 'ERR_MP_AUTHENTICATION', hex(response));
    }
  });

  it('refuses to answer a challenge that is too short or names no allowed digest', () => {
    for (const challenge of [new Uint8Array(19), new Uint8Array(30), new TextEncoder().encode('{sha512}0123456789012345678901234567890123456789')]) {
      assert.throws(() => createResponse(key, challenge), (error) => codeOf(error) === 'ERR_MP_AUTHENTICATION');
    }
  });

  it('makes challenges of Python\'s shapes: {digest} and 40 random bytes, or 20 for legacy', () => {
    const modern = makeChallenge('sha256');
    assert.equal(modern.length, 48);
    assert.equal(new TextDecoder().decode(modern.subarray(0, 8)), '{sha256}');
    assert.equal(makeChallenge('sha3_384').length, 10 + 40);
    assert.equal(makeChallenge('legacy').length, 20);
    assert.notEqual(hex(makeChallenge('legacy')), hex(makeChallenge('legacy')));
  });
});
