/**
 * The one promotion run the doors share (DESIGN §8), and its cancellation (§15): the doors import
 * it from here and only translate their inputs into it and its result into their outputs.
 */
export * from './promotion/cancellation.js';
export * from './promotion/outcome.js';
export { claimSessions, endSessions, stopSignal, lostLocks } from './promotion/sessions.js';
export type { Claim, SessionFactory, Sessions } from './promotion/sessions.js';
export { promoteUnder } from './promotion/promote.js';
export type { PlannedTarget, PromoteOptions, Promoted } from './promotion/promote.js';
export { runPromotion } from './promotion/run.js';
export type { PromotionRun, RunOptions } from './promotion/run.js';
