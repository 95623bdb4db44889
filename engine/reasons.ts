/** The reason vocabulary of results and errors, in a module of its own so anything may use it. */

/** Kebab-case reason codes; `message` holds the human sentence. */
export type Reason =
  | 'not-current-version'
  | 'no-version-needs-label'
  | 'new-version-not-applicable'
  | 'unknown-service'
  | 'unknown-environment'
  | 'ambiguous-service'
  | 'registry-not-found'
  | 'discovery-type-unsupported'
  | 'promote-from'
  | 'route-conflict'
  | 'no-runtime-for-environment'
  | 'cannot-clear-hosts'
  | 'unsupported-runtime-key'
  | 'no-gateway-url'
  | 'version-not-in-group'
  | 'no-earlier-version'
  | 'publish-failed'
  | 'read-back-failed'
  | 'runtime-failed'
  | 'verify-failed'
  | 'atomic-rollback'
  | 'atomic-refusal'
  | 'left-disabled'
  | 'lock-held'
  // Promotion policies (engine/policy/).
  | 'target-edited'
  | 'soak-not-met'
  | 'outside-window'
  | 'watch-failed'
  | 'not-started'
  // Cancellation (DESIGN §15): the promotion was stopped by a signal or a lost lock lease.
  | 'interrupted';
