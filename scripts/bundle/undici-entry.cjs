/**
 * What the CLI bundle gets when our code imports 'undici': the keep-alive `Agent` and `request`,
 * and nothing else. undici's own entry point also builds fetch, WebSocket, EventSource, cookies,
 * caches, mocks and proxies when it loads: about 100 ms of a command's start on every run, for
 * parts we never call. The files required here are undici's own; only the URL-to-options step of
 * its `request` is ours (below), and test/e2e/cli-bundle.test.ts holds it to undici's behaviour.
 *
 * Only our sources are pointed here (scripts/bundle/options.mjs); a dependency that imports
 * undici gets undici's entry point as usual. Resolved when the bundle is built, so a change in
 * undici's file layout fails `npm run build`, never a user's run.
 */
'use strict';
const Agent = require('undici/lib/dispatcher/agent.js');
const dispatch = require('undici/lib/api/api-request.js');
const { getGlobalDispatcher } = require('undici/lib/global.js');
const { parseURL } = require('undici/lib/core/util.js');
const { InvalidArgumentError } = require('undici/lib/core/errors.js');

/**
 * `request(url, options)`: one exchange to an absolute URL on `options.dispatcher` (undici's
 * global dispatcher when none is given). undici's parser reads the URL, so a malformed URL or a
 * protocol other than http(s) fails with undici's own error.
 */
function request(url, options) {
  if (options != null && typeof options !== 'object') throw new InvalidArgumentError('invalid opts');
  const opts = options ?? {};
  if (opts.agent) throw new InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?');
  const { dispatcher = getGlobalDispatcher(), ...rest } = opts;
  const target = parseURL(url);
  return dispatch.call(dispatcher, {
    ...rest,
    origin: target.origin,
    path: target.search ? `${target.pathname}${target.search}` : target.pathname,
    method: rest.method || (rest.body ? 'PUT' : 'GET'),
  });
}

module.exports = { Agent, request };
