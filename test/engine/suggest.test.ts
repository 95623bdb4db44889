import { expect, it } from 'vitest';
import { didYouMean, nearMisses } from '../../engine/suggest.js';

it('suggests names off by case or spacing first, then by a small edit', () => {
  const names = ['httpbin API', 'orders', 'order-history'];
  expect(nearMisses('httpbin api', names)).toEqual(['httpbin API']);
  expect(nearMisses(' httpbin  API', names)).toEqual(['httpbin API']);
  expect(nearMisses('ordres', names)).toEqual(['orders']);
  expect(nearMisses('payments', names)).toEqual([]);
  expect(didYouMean('httpbin api', names)).toBe(' (did you mean "httpbin API"?)');
  expect(didYouMean('zzz', names)).toBe('');
});
