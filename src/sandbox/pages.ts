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

/** oidc-provider's own pages (device flow, logout): it supplies the `<form>` (with its CSRF field). */
const noNonces: Nonces = { script: '', style: '' };

export function deviceInputPage(form: string, failed: boolean): string {
  return renderPage(
    'Device sign-in',
    html`<main data-sandbox-step="device-input"><h1>Device sign-in</h1>
<p${failed ? raw(' class="error"') : ''}>${failed ? 'That code is not valid. Try again.' : 'Enter the code shown on your device.'}</p>
${raw(form)}
<label>Code <input name="user_code" form="op.deviceInputForm" autocomplete="off" required autofocus></label>
<button type="submit" form="op.deviceInputForm">Continue</button></main>`,
    noNonces,
  );
}

export function deviceConfirmPage(form: string, clientId: string, userCode: string): string {
  return renderPage(
    'Confirm device',
    html`<main data-sandbox-step="device-confirm"><h1>Confirm device</h1>
<p><code>${clientId}</code> shows the code <code>${userCode}</code>. Continue only if your device shows the same code.</p>
${raw(form)}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button></main>`,
    noNonces,
  );
}

export function logoutPage(form: string): string {
  return renderPage(
    'Sign out',
    html`<main data-sandbox-step="logout"><h1>Sign out of the sandbox?</h1>${raw(form)}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button></main>`,
    noNonces,
  );
}

export function messagePage(title: string, message: string): string {
  return errorPage(message, noNonces, title);
}
