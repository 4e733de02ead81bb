/**
 * The pages the broker answers to a browser. None carries a token except the popup result page,
 * whose one inline script (under the response's CSP nonce) posts the result to the opener at the
 * exact whitelisted origin, never "*", then closes.
 */
import { html, jsonForScript, renderPage, type Nonces } from '../util/html.js';

export function loginDonePage(providerName: string, nonces: Nonces): string {
  return renderPage(
    'Signed in',
    html`<main data-oauthd-result="success"><h1>Signed in to ${providerName}</h1>
<p>oauthd-cli has the token. You can close this window and return to your terminal.</p></main>`,
    nonces,
  );
}

export function errorPage(title: string, message: string, hint: string | undefined, nonces: Nonces): string {
  return renderPage(
    title,
    html`<main data-oauthd-result="error"><h1>${title}</h1><p class="error">${message}</p>${hint ? html`<p>${hint}</p>` : ''}</main>`,
    nonces,
  );
}

/**
 * How long the popup stays open after posting its result. oauthd's SDK (oauthio-web) polls
 * `popup.closed` every 500 ms and fails the sign-in with "The popup was closed" when it sees the
 * window gone before its message handler ran; a page busy with a long task at that moment runs the
 * overdue timer before the waiting message (seen in Chromium under load). Closing a little later
 * than the next poll leaves the message the time to arrive first.
 */
export const POPUP_CLOSE_DELAY_MS = 1500;

/**
 * oauthd's popup protocol: `opener.postMessage(JSON.stringify(result), origin)`, then close. The
 * SDK checks event.origin (the broker's), the provider and the state it generated.
 */
export function popupResultPage(result: unknown, targetOrigin: string, nonces: Nonces): string {
  const script =
    `(function(){var message=${jsonForScript(JSON.stringify(result))};var origin=${jsonForScript(targetOrigin)};` +
    `if(window.opener){window.opener.postMessage(message,origin);setTimeout(function(){window.close();},${POPUP_CLOSE_DELAY_MS});}` +
    `else{document.getElementById('status').textContent='This window was not opened by your app; close it and sign in again.';}})();`;
  return renderPage(
    'Signing in',
    html`<main data-oauthd-result="popup"><h1>Signing in…</h1><p id="status">Returning to the app.</p></main>`,
    nonces,
    script,
  );
}

/** Redirect delivery through a page, so the result URL never lands in a Location header log. */
export function redirectPage(target: string, nonces: Nonces): string {
  const script = `location.replace(${jsonForScript(target)});`;
  return renderPage('Signing in', html`<main data-oauthd-result="redirect"><h1>Returning to the app…</h1></main>`, nonces, script);
}
