/**
 * `messageOf`: the one way a thrown value becomes text for a person. Whatever was thrown, the
 * text is never `undefined`, `[object Object]` or empty.
 */
import { describe, expect, it } from 'vitest';
import { messageOf } from '../../engine/index.js';

describe('messageOf', () => {
  it('gives the message of an Error, and its name when the message is empty', () => {
    expect(messageOf(new TypeError('fetch failed'))).toBe('fetch failed');
    expect(messageOf(new RangeError(''))).toBe('RangeError (without a message)');
  });

  it('gives a thrown string as it is, and says so when it is empty', () => {
    expect(messageOf('the lock is held')).toBe('the lock is held');
    expect(messageOf('')).toBe('an empty error message');
  });

  it('uses the message of an object that carries one (an Octokit-style error)', () => {
    expect(messageOf({ status: 404, message: 'Not Found' })).toBe('Not Found');
  });

  it('shows a plain object as JSON, never as [object Object]', () => {
    expect(messageOf({ status: 502, reason: 'bad gateway' })).toBe('{"status":502,"reason":"bad gateway"}');
  });

  it('keeps a huge object short', () => {
    const text = messageOf({ body: 'x'.repeat(10_000) });
    expect(text.length).toBeLessThanOrEqual(301);
    expect(text.endsWith('…')).toBe(true);
  });

  it('falls back to a sentence for an empty, circular or BigInt-holding object', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const thrown of [{}, circular, { n: 1n }]) {
      expect(messageOf(thrown)).toBe('an error object that cannot be shown as text');
    }
  });

  it('names undefined and null instead of printing them bare', () => {
    expect(messageOf(undefined)).toBe('an error without any detail (undefined was thrown)');
    expect(messageOf(null)).toBe('an error without any detail (null was thrown)');
  });

  it('writes numbers and symbols as text', () => {
    expect(messageOf(42)).toBe('42');
    expect(messageOf(Symbol('boom'))).toBe('Symbol(boom)');
  });
});
