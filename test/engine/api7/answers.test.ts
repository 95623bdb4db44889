/**
 * What a failed control-plane call says: a code the doors can map, and a sentence that names
 * what to check (controlPlane.url, caFile, insecure), never the page or the TLS internals.
 * MockAgent plays the precise failures a real server is hard to make fail on cue.
 */
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Api7Client } from '../../../engine/api7/client.js';
import { Api7Error } from '../../../engine/api7/transport.js';
import { SyncError } from '../../../engine/errors.js';

const ORIGIN = 'https://api7.test:7443';
let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

function mockClient() {
  agent = new MockAgent();
  agent.disableNetConnect();
  return {
    pool: agent.get(ORIGIN),
    client: new Api7Client({ baseUrl: ORIGIN, token: 'a7ee-x', dispatcher: agent }),
  };
}

async function failure(
  call: (c: Api7Client) => Promise<unknown>,
  setup: (pool: ReturnType<MockAgent['get']>) => void,
) {
  const { pool, client } = mockClient();
  setup(pool);
  const err = await call(client).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Api7Error);
  return err as Api7Error;
}

describe('failed control-plane calls', () => {
  it('an untrusted certificate is code "tls", says whether it is self-signed, and names caFile and insecure', async () => {
    const untrusted = {
      DEPTH_ZERO_SELF_SIGNED_CERT:
        "is self-signed, and this machine does not trust it; set controlPlane.caFile to that certificate's PEM file",
      SELF_SIGNED_CERT_IN_CHAIN:
        'is signed by a self-signed CA this machine does not trust; set controlPlane.caFile to the CA bundle that signed it',
      UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        'is not signed by a CA this machine trusts; set controlPlane.caFile to the CA bundle that signed it',
    };
    for (const [code, says] of Object.entries(untrusted)) {
      const err = await failure(
        (c) => c.version(),
        (pool) =>
          pool
            .intercept({ path: '/api/version', method: 'GET' })
            .replyWithError(Object.assign(new Error(`self-signed certificate ${code}`), { code })),
      );
      expect(err).toBeInstanceOf(SyncError);
      expect(err.code).toBe('tls');
      expect(err.message).toBe(
        `GET /api/version: the TLS certificate of ${ORIGIN} ${says} (insecure: true turns verification off, for a throwaway test only)`,
      );
    }
  });

  it('a certificate for another host and a plain-HTTP port say so', async () => {
    const altName = await failure(
      (c) => c.version(),
      (pool) =>
        pool.intercept({ path: '/api/version', method: 'GET' }).replyWithError(
          Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
            code: 'ERR_TLS_CERT_ALTNAME_INVALID',
          }),
        ),
    );
    expect(altName).toMatchObject({ code: 'tls' });
    expect(altName.message).toMatch(
      /is for another host name; use the host name the certificate names in controlPlane\.url$/,
    );
    const plain = await failure(
      (c) => c.version(),
      (pool) =>
        pool
          .intercept({ path: '/api/version', method: 'GET' })
          .replyWithError(Object.assign(new Error('wrong version number'), { code: 'EPROTO' })),
    );
    expect(plain.message).toMatch(
      /if the control plane serves plain HTTP on this port, write http:\/\/ in controlPlane\.url$/,
    );
  });

  it('JSON without a version, and text that is not JSON, are "bad-answer" and quote no page', async () => {
    const noValue = await failure(
      (c) => c.version(),
      (pool) => pool.intercept({ path: '/api/version', method: 'GET' }).reply(200, { data: 'x' }),
    );
    expect(noValue).toMatchObject({ code: 'bad-answer' });
    expect(noValue.message).toMatch(
      /has no version \(value\); this is not API7's Admin API: check controlPlane\.url/,
    );
    const text = await failure(
      (c) => c.listGatewayGroups(),
      (pool) =>
        pool
          .intercept({ path: /\/api\/gateway_groups/, method: 'GET' })
          .reply(500, 'upstream connect error\r\nor disconnect/reset before headers', {
            headers: { 'content-type': 'text/plain' },
          }),
    );
    expect(text).toMatchObject({ code: 'bad-answer', status: 500 });
    expect(text.message).toBe(
      `GET /api/gateway_groups: HTTP 500: the answer is not JSON (text/plain, 58 bytes), so it does not come from API7's Admin API: check controlPlane.url (${ORIGIN})`,
    );
  });

  it('a refused token is "unauthorized"; a gateway in front of a down control plane is "unreachable"', async () => {
    const refused = await failure(
      (c) => c.version(),
      (pool) =>
        pool.intercept({ path: '/api/version', method: 'GET' }).reply(401, { error_msg: 'invalid token' }),
    );
    expect(refused).toMatchObject({ code: 'unauthorized', isAuth: true });
    const down = await failure(
      (c) => c.publish('gg', false, []),
      (pool) =>
        pool
          .intercept({ path: '/api/services/publish', method: 'POST' })
          .reply(503, { error_msg: 'no healthy upstream' }),
    );
    expect(down).toMatchObject({ code: 'unreachable', ambiguous: false });
  });
});
