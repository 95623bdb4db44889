/** The bundle's entry (dist/index.js): `main` and `post` in action.yml run the same file. */
import * as core from '@actions/core';
import { run } from './main.js';
import { post } from './post.js';
import { STATE } from './io.js';

await (core.getState(STATE.isPost) === 'true' ? post() : run());
