/**
 * The key that signs request state. A short key can be guessed offline from one signed status,
 * and a key shared with another secret (the webhook secret, the API7 token) leaks with it and lets
 * whoever holds that one forge request state too. So it is refused at start, before any work.
 */

/** The shortest state key accepted, in bytes (256 bits, as many as the HMAC's output). */
export const MIN_STATE_SECRET_BYTES = 32;

/**
 * Why `secret` (named `name` where the operator set it) cannot sign request state, or undefined
 * when it can. `others` are the secrets it must differ from, each with the name it is set under.
 */
export function stateSecretProblem(
  name: string,
  secret: string,
  others: { name: string; value: string | undefined }[],
): string | undefined {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_STATE_SECRET_BYTES)
    return `${name} is ${bytes} bytes long; it must be at least ${MIN_STATE_SECRET_BYTES} (for example: openssl rand -hex 32)`;
  const same = others.find((o) => o.value !== undefined && o.value !== '' && o.value === secret);
  if (same)
    return `${name} is the same as ${same.name}; use a key of its own (for example: openssl rand -hex 32)`;
  return undefined;
}
