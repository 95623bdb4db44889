/**
 * What a failed control-plane call means, in words a user can act on: network and TLS errors,
 * answers that are not API7's Admin API (a web page, a gateway), all on one line, never the page.
 */

/** One line, no control characters, at most 200 characters: safe to print. */
export function oneLine(text: string): string {
  const line = text.replace(/[\p{Cc}\s]+/gu, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/**
 * APISIX's answer when no route matches (`{"error_msg":"404 Route Not Found"}`): the Admin API
 * never says it, an API7 gateway (data plane) does. A `controlPlane.url` that points at a
 * gateway gets told so instead of a bare 404.
 */
export const looksLikeGateway = (errorMsg: string): boolean => /^404 Route Not Found$/i.test(errorMsg.trim());

export function gatewayNotControlPlane(origin: string): string {
  return `${origin} answered "404 Route Not Found" the way an API7 gateway (data plane) does, not the control plane: set controlPlane.url to the dashboard / control plane's origin (usually https://HOST:7443); a gateway's address belongs in environments.<name>.gatewayUrl`;
}

/** A summary of an answer that is not JSON; never the page itself. */
export function notJson(text: string, contentType: string, origin: string): string {
  const what = `${contentType || 'no content type'}, ${text.length} bytes`;
  if (/html/i.test(contentType) || /^\s*<(!doctype|html|head|body)/i.test(text)) {
    return `the answer is a web page (${what}), not API7's Admin API: check controlPlane.url, which should be the control plane's origin such as https://api7.example.com:7443, not ${origin}`;
  }
  return `the answer is not JSON (${what}), so it does not come from API7's Admin API: check controlPlane.url (${origin})`;
}

function untrusted(origin: string, what: string, trust = 'the CA bundle that signed it'): string {
  return `the TLS certificate of ${origin} ${what}; set controlPlane.caFile to ${trust} (insecure: true turns verification off, for a throwaway test only)`;
}

export function explainNetworkError(code: string, message: string, origin: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${origin}: connection refused; is the control plane URL right and is it up?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host of ${origin}; check controlPlane.url`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connecting to ${origin} timed out; check controlPlane.url and the network path to it`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer from ${origin} in time`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `the connection to ${origin} was closed before an answer came`;
    // API7 ships a self-signed certificate: saying so lets a user match what curl or ADC reported.
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return untrusted(
        origin,
        'is self-signed, and this machine does not trust it',
        "that certificate's PEM file",
      );
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return untrusted(origin, 'is signed by a self-signed CA this machine does not trust');
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return untrusted(origin, 'is not signed by a CA this machine trusts');
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return `the TLS certificate of ${origin} is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'}; renew it on the control plane (or check this machine's clock)`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the TLS certificate of ${origin} is for another host name; use the host name the certificate names in controlPlane.url`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return `the TLS handshake with ${origin} failed; if the control plane serves plain HTTP on this port, write http:// in controlPlane.url`;
    default:
      return `${code}: ${oneLine(message)}`;
  }
}
