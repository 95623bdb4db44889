/**
 * After each test, every GitHub stand-in it made must have received only requests GitHub's REST
 * API description allows (github-openapi.ts). The stand-in already answered a violation as GitHub
 * would; this makes sure code that took such an answer in its stride still fails the test.
 */
import { afterEach, expect } from 'vitest';
import { standIns } from './github-openapi.js';

afterEach(() => {
  const violations = [...standIns].flatMap((m) => m.violations.splice(0));
  standIns.clear();
  expect(violations, "requests GitHub's REST API description does not allow").toEqual([]);
});
