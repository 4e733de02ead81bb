// src/oauth/redirect-diagnosis.ts: naming what differs between the redirect URI sent and the one
// registered, the lines a user reads, and recognising a redirect mismatch in providers' own words.
import { describe, expect, it } from 'vitest';
import {
  diagnoseRedirectUri,
  explainRedirectMismatch,
  looksLikeRedirectMismatch,
  type RedirectDifferenceKind,
} from '../../src/oauth/redirect-diagnosis.js';

const SENT = 'http://127.0.0.1:6284/auth';

function kinds(sent: string, registered: string): RedirectDifferenceKind[] {
  return diagnoseRedirectUri(sent, [registered]).differences.map((difference) => difference.kind);
}

describe('diagnoseRedirectUri', () => {
  it('finds nothing to say when the value is registered exactly, or when nothing is known', () => {
    expect(diagnoseRedirectUri(SENT, ['https://example.com/cb', SENT])).toEqual({ sent: SENT, closest: SENT, exact: true, differences: [] });
    expect(diagnoseRedirectUri(SENT)).toEqual({ sent: SENT, exact: false, differences: [] });
    expect(diagnoseRedirectUri(SENT, [])).toEqual({ sent: SENT, exact: false, differences: [] });
  });

  it('names each kind of difference, alone', () => {
    const cases: Array<[string, string, RedirectDifferenceKind]> = [
      [SENT, 'https://127.0.0.1:6284/auth', 'scheme'],
      [SENT, 'http://localhost:6284/auth', 'loopback-host'],
      [SENT, 'http://[::1]:6284/auth', 'loopback-host'],
      ['http://localhost:6284/auth', 'http://[::1]:6284/auth', 'loopback-host'],
      ['https://app.example.com/auth', 'https://www.example.com/auth', 'host'],
      [SENT, 'http://127.0.0.1:3000/auth', 'port'],
      [SENT, 'http://127.0.0.1:6284/auth/', 'trailing-slash'],
      ['http://127.0.0.1:6284', 'http://127.0.0.1:6284/', 'trailing-slash'],
      [SENT, 'http://127.0.0.1:6284/Auth', 'case'],
      ['https://App.example.com/auth', 'https://app.example.com/auth', 'case'],
      [SENT, 'http://127.0.0.1:6284/callback', 'path'],
      [SENT, 'http://127.0.0.1:6284/auth?from=github', 'query'],
      [SENT, 'http://127.0.0.1:6284/auth#done', 'fragment'],
      [SENT, ' http://127.0.0.1:6284/auth\n', 'whitespace'],
      [SENT, 'http%3A%2F%2F127.0.0.1%3A6284%2Fauth', 'encoding'],
    ];
    for (const [sent, registered, kind] of cases) {
      expect(kinds(sent, registered), `${sent} vs ${JSON.stringify(registered)}`).toEqual([kind]);
    }
  });

  it('says which part and which values, in words a developer can act on', () => {
    const [host] = diagnoseRedirectUri(SENT, ['http://localhost:6284/auth']).differences;
    expect(host).toMatchObject({ kind: 'loopback-host', sent: '127.0.0.1', registered: 'localhost' });
    expect(host?.message).toMatch(/^host: 127\.0\.0\.1 sent, localhost registered — the same machine, but providers compare the strings \(RFC 9700 §2\.1\)/);

    const [slash] = diagnoseRedirectUri(SENT, ['http://127.0.0.1:6284/auth/']).differences;
    expect(slash?.message).toBe('trailing slash: path /auth sent, /auth/ registered');

    const [port] = diagnoseRedirectUri(SENT, ['http://127.0.0.1/auth']).differences;
    expect(port).toMatchObject({ kind: 'port', sent: '6284', registered: '80' });
    expect(port?.message).toMatch(/^port: 6284 sent, none \(80 by default\) registered — RFC 8252 §7\.3/);

    const [scheme] = diagnoseRedirectUri(SENT, ['https://127.0.0.1:6284/auth']).differences;
    expect(scheme?.message).toMatch(/^scheme: http sent, https registered — the broker listens on plain http on loopback/);
  });

  it('a default port written out on one side is a difference of the strings', () => {
    const [port] = diagnoseRedirectUri('https://broker.example.com/auth', ['https://broker.example.com:443/auth']).differences;
    expect(port).toMatchObject({ kind: 'port', sent: '', registered: '443' });
    expect(port?.message).toContain('the default port is written out on one side only');
  });

  it('reports several differences of one value together, and a whole other path only as "path"', () => {
    expect(kinds(SENT, 'https://localhost:3000/auth/')).toEqual(['scheme', 'loopback-host', 'port', 'trailing-slash']);
    expect(kinds(SENT, 'http://127.0.0.1:6284/Auth/')).toEqual(['trailing-slash', 'case']);
    expect(kinds(SENT, 'http://127.0.0.1:6284/oauth/callback/')).toEqual(['path']);
  });

  it('compares with the closest registered value', () => {
    const diagnosis = diagnoseRedirectUri(SENT, ['https://app.example.com/cb', 'http://localhost:6284/auth', 'http://localhost:3000/']);
    expect(diagnosis.closest).toBe('http://localhost:6284/auth');
    expect(diagnosis.differences.map((difference) => difference.kind)).toEqual(['loopback-host']);
  });
});

describe('explainRedirectMismatch', () => {
  it('without the registered value: the exact value sent, where to look, and the line to paste', () => {
    const lines = explainRedirectMismatch({ sent: SENT, providerName: 'GitHub', registerUrl: 'https://github.com/settings/developers' });
    expect(lines).toEqual([
      'GitHub refused the redirect URI: it is not registered exactly, character for character.',
      `  sent        ${SENT}`,
      '  registered  not visible to oauthd-cli; open https://github.com/settings/developers and compare',
      '              look for a trailing slash, localhost instead of 127.0.0.1, another port, https instead of http',
      "Paste this line into GitHub's list of redirect URIs (https://github.com/settings/developers):",
      `  ${SENT}`,
    ]);
  });

  it('with the registered values: each of them, and every difference from the closest', () => {
    const lines = explainRedirectMismatch({ sent: SENT, registered: ['http://localhost:6284/auth/', 'https://app.example.com/cb'], providerName: 'Slack' });
    expect(lines[1]).toBe(`  sent        ${SENT}`);
    expect(lines[2]).toBe('  registered  http://localhost:6284/auth/');
    expect(lines[3]).toBe('              https://app.example.com/cb');
    expect(lines[4]).toMatch(/^ {2}differs {5}host: 127\.0\.0\.1 sent, localhost registered/);
    expect(lines[5]).toBe('              trailing slash: path /auth sent, /auth/ registered');
    expect(lines[6]).toBe('              (compared with the closest: http://localhost:6284/auth/)');
    expect(lines.slice(-2)).toEqual(["Paste this line into Slack's list of redirect URIs:", `  ${SENT}`]);
  });

  it('when the value is registered exactly, it looks elsewhere and asks to paste nothing', () => {
    const lines = explainRedirectMismatch({ sent: SENT, registered: [SENT], providerName: 'Okta' });
    expect(lines.join('\n')).toContain('nothing: this exact value is registered');
    expect(lines.join('\n')).not.toContain('Paste this line');
  });

  it('after a timeout without callback, it says why the redirect URI is suspected', () => {
    const [first] = explainRedirectMismatch({ sent: SENT, providerName: 'Google', trigger: 'no-callback' });
    expect(first).toBe('No callback came back from Google. If the browser shows an error page there instead, the redirect URI is the usual cause:');
  });
});

describe('looksLikeRedirectMismatch', () => {
  // Messages as the broker builds them: "the provider refused: <error> — <error_description>" for
  // a callback, "the token endpoint refused: <error> — <description> [HTTP n]" for a token response.
  it('recognises the codes that name the redirect URI', () => {
    expect(looksLikeRedirectMismatch({ code: 'redirect_uri_mismatch', message: 'the token endpoint refused: redirect_uri_mismatch — Bad Request [HTTP 400]' })).toBe(true);
    expect(looksLikeRedirectMismatch({ code: 'invalid_redirect_uri', message: 'the provider refused: invalid_redirect_uri' })).toBe(true);
    expect(looksLikeRedirectMismatch({ code: 'bad_redirect_uri', message: 'the token endpoint refused: bad_redirect_uri [HTTP 200]' })).toBe(true);
  });

  it("recognises providers' descriptions under other codes", () => {
    const messages: Array<[string | undefined, string]> = [
      // GitHub
      ['redirect_uri_mismatch', 'the provider refused: redirect_uri_mismatch — The redirect_uri MUST match the registered callback URL for this application.'],
      // Microsoft identity platform
      ['invalid_request', "the provider refused: invalid_request — AADSTS50011: The redirect URI 'http://127.0.0.1:6284/auth' specified in the request does not match the redirect URIs configured for the application"],
      ['invalid_request', "the provider refused: invalid_request — The provided value for the input parameter 'redirect_uri' is not valid."],
      ['invalid_client', 'the provider refused: invalid_client — AADSTS500113: No reply address is registered for the application.'],
      // Okta, Authelia
      ['invalid_request', "the provider refused: invalid_request — The 'redirect_uri' parameter must be a Login redirect URI in the client app settings"],
      ['invalid_grant', "the token endpoint refused: invalid_grant — The 'redirect_uri' does not match the redirection URI used in the authorization request. [HTTP 400]"],
      // Keycloak
      ['invalid_grant', 'the token endpoint refused: invalid_grant — Incorrect redirect_uri [HTTP 400]'],
      // Auth0
      ['unauthorized_client', 'the provider refused: unauthorized_client — Callback URL mismatch. The provided redirect_uri is not in the list of allowed callback URLs.'],
      // LinkedIn
      ['invalid_request', 'the provider refused: invalid_request — The redirect_uri does not match the registered value'],
      // Facebook's token endpoint answers an error object, not RFC 6749's string
      ['http_error', 'the token endpoint answered HTTP 400: {"error":{"message":"Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request","type":"OAuthException","code":100}}'],
    ];
    for (const [code, message] of messages) expect(looksLikeRedirectMismatch({ code, message }), message).toBe(true);
  });

  it('leaves other errors alone, even those that name redirect_uri or an invalid_* code', () => {
    const messages: Array<[string | undefined, string]> = [
      ['invalid_request', 'the provider refused: invalid_request — Missing required parameter: redirect_uri'],
      ['invalid_grant', 'the token endpoint refused: invalid_grant — The code passed is incorrect or expired. [HTTP 400]'],
      ['access_denied', 'the provider refused: access_denied — The user denied the request'],
      ['invalid_scope', 'the provider refused: invalid_scope — Some requested scopes were invalid'],
      ['state_mismatch', "state mismatch: the callback's state does not match any pending flow (forged, replayed, or expired); nothing was exchanged"],
      ['timeout', 'no sign-in came back within 300 s'],
      [undefined, 'the token exchange failed: token request: cannot reach example.com (host not found)'],
    ];
    for (const [code, message] of messages) expect(looksLikeRedirectMismatch({ code, message }), message).toBe(false);
  });
});
