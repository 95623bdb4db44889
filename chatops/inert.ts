/**
 * Text from a comment or a ref quoted back in one of ours goes through the project's one escaper
 * for untrusted Markdown (engine/markdown.ts): it must not mention a person or a team, link an
 * issue, render an image or a link, or smuggle markup.
 */
export { inert } from '../engine/index.js';
