/**
 * Text from a comment quoted back in one of ours must stay inert: it must not mention a person
 * or a team, link an issue, render an image or a link, close our code span, or smuggle markup
 * (an HTML comment could even carry something that looks like our request state). So it goes in
 * a code span, with what could escape it shown as escapes.
 */

const MAX_QUOTED = 200;

/** Control, bidi and other invisible formatting characters, shown as `\u{…}` escapes. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/** A piece of untrusted text as an inline code span that renders literally and mentions no one. */
export function inert(text: string): string {
  let t = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
  t = t
    .replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)
    // Backticks would close the span; < > could open markup; @ and # mention and link even in
    // some renderers' code spans when copied out, so they are replaced by look-alikes.
    .replace(/`/g, "'")
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/@/g, '＠')
    .replace(/#/g, '＃')
    // Brackets make links and images wherever the text is ever shown outside a code span.
    .replace(/\[/g, '［')
    .replace(/\]/g, '］');
  return `\`${t === '' ? ' ' : t}\``;
}
