/** The sandbox's sign-in, consent and error pages. Plain HTML forms, no script. */
import { html, raw, renderPage, type Nonces } from '../util/html.js';
import { SANDBOX_PATH } from './spec.js';

const action = (uid: string, step: string) => `${SANDBOX_PATH}/interaction/${encodeURIComponent(uid)}/${step}`;

export function signInPage(uid: string, clientId: string, nonces: Nonces): string {
  return renderPage(
    'Sandbox sign-in',
    html`<main data-sandbox-step="login">
<h1>oauthd-cli sandbox: sign in</h1>
<p><code>${clientId}</code> asks you to sign in. This is the embedded test provider: any user name works, no password.</p>
<form method="post" action="${action(uid, 'login')}">
<label>User name <input name="login" value="developer" autocomplete="username" required autofocus></label>
<button type="submit">Sign in</button>
</form>
</main>`,
    nonces,
  );
}

export function consentPage(uid: string, clientId: string, scopes: string[], nonces: Nonces): string {
  return renderPage(
    'Sandbox consent',
    html`<main data-sandbox-step="consent">
<h1>Allow access?</h1>
<p><code>${clientId}</code> asks for: ${scopes.map((scope) => html`<code>${scope}</code> `)}</p>
<form method="post" action="${action(uid, 'confirm')}"><button type="submit">Allow</button></form>
<form method="post" action="${action(uid, 'abort')}"><button type="submit" name="abort" value="1">Deny</button></form>
</main>`,
    nonces,
  );
}

export function errorPage(message: string, nonces: Nonces, title = 'Sandbox'): string {
  return renderPage(title, html`<main data-sandbox-step="message"><h1>${title}</h1><p>${message}</p></main>`, nonces);
}

// oidc-provider's own pages (device flow, logout): it supplies the `<form>` (with its CSRF field);
// the nonces are those of the response's CSP, which server.ts sets before oidc-provider runs.

export function deviceInputPage(form: string, failed: boolean, nonces: Nonces): string {
  return renderPage(
    'Device sign-in',
    html`<main data-sandbox-step="device-input"><h1>Device sign-in</h1>
<p${failed ? raw(' class="error"') : ''}>${failed ? 'That code is not valid. Try again.' : 'Enter the code shown on your device.'}</p>
${raw(withoutInlineHandlers(form))}
<button type="submit" form="op.deviceInputForm">Continue</button></main>`,
    nonces,
  );
}

/**
 * oidc-provider's code field selects itself with an inline `onfocus` handler, which the page's CSP
 * (no inline script but the nonced one) refuses, and reports as a violation; the field works the
 * same without it.
 */
function withoutInlineHandlers(form: string): string {
  return form.replace(/\son[a-z]+="[^"]*"/g, '');
}

export function deviceConfirmPage(form: string, clientId: string, userCode: string, nonces: Nonces): string {
  return renderPage(
    'Confirm device',
    html`<main data-sandbox-step="device-confirm"><h1>Confirm device</h1>
<p><code>${clientId}</code> shows the code <code>${userCode}</code>. Continue only if your device shows the same code.</p>
${raw(form)}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button></main>`,
    nonces,
  );
}

export function logoutPage(form: string, nonces: Nonces): string {
  return renderPage(
    'Sign out',
    html`<main data-sandbox-step="logout"><h1>Sign out of the sandbox?</h1>${raw(form)}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button></main>`,
    nonces,
  );
}

export function messagePage(title: string, message: string, nonces: Nonces): string {
  return errorPage(message, nonces, title);
}

/** The end of the device flow's verification (RFC 8628 §3.3): nothing more to do here. */
export function deviceDonePage(nonces: Nonces): string {
  return renderPage('Device signed in', html`<main data-sandbox-step="device-done"><h1>Device signed in</h1><p>Signed in. You can return to your device.</p></main>`, nonces);
}

/**
 * OpenID CIBA (./ciba.ts): the user's authentication device. The binding message is what the user
 * compares with the one the consumption device shows (CIBA Core §7.1).
 */
export function backchannelApprovalPage(
  path: string,
  request: { clientId: string; accountId: string; scope: string; bindingMessage?: string },
  nonces: Nonces,
): string {
  return renderPage(
    'Sandbox: approve a sign-in',
    html`<main data-sandbox-step="ciba-approve">
<h1>Approve a sign-in?</h1>
<p><code>${request.clientId}</code> asks to sign in as <code>${request.accountId}</code>, for: ${request.scope.split(' ').filter(Boolean).map((scope) => html`<code>${scope}</code> `)}</p>
${request.bindingMessage !== undefined ? html`<p>It shows the message <strong data-binding-message>${request.bindingMessage}</strong>. Approve only if your other device shows the same.</p>` : ''}
<form id="approve" method="post" action="${path}/approve"><button type="submit">Approve</button></form>
<form id="deny" method="post" action="${path}/deny"><button type="submit">Deny</button></form>
</main>`,
    nonces,
  );
}

export function backchannelDonePage(approved: boolean, nonces: Nonces): string {
  return renderPage(
    approved ? 'Sign-in approved' : 'Sign-in denied',
    html`<main data-sandbox-step="ciba-done"><h1>${approved ? 'Approved' : 'Denied'}</h1><p>${approved ? 'You can return to the other device: it gets its token at its next poll.' : 'The other device is told at its next poll.'}</p></main>`,
    nonces,
  );
}
