/**
 * A command chat-ops will not carry out, with the sentence the person who asked gets back. It is
 * an answer, not a failure: the door replies with it and reacts 😕, and nothing was written to API7.
 */
import { SyncError, type ErrorCode } from '../engine/index.js';

export class Refusal extends SyncError {
  constructor(message: string, code: ErrorCode = 'not-permitted') {
    super(code, message);
    this.name = 'Refusal';
  }
}
