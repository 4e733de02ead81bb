/**
 * The demo of the client-side flow (`serve --sandbox`):
 *   GET /demo            a page that signs in with OAuth.popup('sandbox') and shows the result
 *   GET /demo/oauth.js   oauthd's own front-end SDK, oauthio-web 0.6.2 (dist/oauth.min.js)
 *
 * The page is the broker's own, so it cannot rely on the app's domains (`init --yes` writes
 * http://localhost:3000, and a config may allow no loopback origin at all). It uses an app of its
 * own instead: a random key made when the broker is built, the client flow, and a whitelist of the
 * broker's loopback origins only; it has no secret, so it can trade no code and refresh nothing.
 * Both routes answer loopback peers only: `serve --host 0.0.0.0` does not show the demo to the
 * network. The SDK runs unchanged under a strict CSP: its script and the page's under this
 * response's nonce, XHR (result.me()) to the broker only.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseDomainRule } from '../../config/domains.js';
import { randomToken } from '../../util/random.js';
import { SANDBOX_ID } from '../../sandbox/spec.js';
import { html, jsonForScript, raw, renderPage, type Nonces } from '../../util/html.js';
import type { AppRegistry, BrokerApp, BrokerDeps } from '../types.js';

export const DEMO_PATH = '/demo';
/** The SDK package and file the demo serves; docs/broker.md tells pages the same. */
const SDK_FILE = 'oauthio-web/dist/oauth.min.js';

/** The demo's app: the client flow, for pages on the broker's own loopback origins. */
export function demoApp(deps: Pick<BrokerDeps, 'allowedHosts'>): BrokerApp {
  return {
    key: `demo-${randomToken(16)}`,
    name: 'oauthd-cli demo',
    flow: 'client',
    // Read at each check: the port is known only once the broker listens.
    get domains() {
      return [...deps.allowedHosts()].filter(isLoopbackHost).map((host) => parseDomainRule(`http://${host}`));
    },
    refreshTokensToClient: false,
    codeTtlMs: 0,
  };
}

/** The registry with the demo's app beside the configured ones (read through, so reloads show). */
export function withDemoApp(apps: AppRegistry, demo: BrokerApp): AppRegistry {
  return {
    get: (key) => (key === demo.key ? demo : apps.get(key)),
    list: () => [...apps.list(), demo],
  };
}

export function demoRoutes(deps: BrokerDeps, demo: BrokerApp) {
  let sdk: Promise<string> | undefined;
  return async function plugin(app: FastifyInstance): Promise<void> {
    // Not for the network: a broker bound to 0.0.0.0 answers the demo to this machine only.
    app.addHook('onRequest', (request, reply, done) => {
      if (!isLoopbackPeer(request)) return notFound(request, reply);
      done();
    });

    app.get(DEMO_PATH, async (_request, reply) => {
      const nonces = { script: randomToken(16), style: randomToken(16) };
      const broker = deps.publicOrigin();
      return reply
        .code(200)
        .header('content-security-policy', demoCsp(nonces, broker))
        .header('x-frame-options', 'DENY')
        .type('text/html; charset=utf-8')
        .send(demoPage(demo.key, broker, nonces));
    });

    app.get(`${DEMO_PATH}/oauth.js`, async (_request, reply) => {
      sdk ??= readFile(createRequire(import.meta.url).resolve(SDK_FILE), 'utf8');
      return reply.type('text/javascript; charset=utf-8').send(await sdk);
    });
  };
}

function notFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send({ status: 'fail', message: `no route ${request.method} ${request.url.split('?')[0]}` });
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\]):\d+$/;

function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOST.test(host);
}

function isLoopbackPeer(request: FastifyRequest): boolean {
  const address = request.socket.remoteAddress ?? '';
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/** The pages' CSP (src/util/html.ts), plus XHR to the broker: the SDK's result.me() calls /auth/:provider/me. */
function demoCsp(nonces: Nonces, broker: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonces.script}'`,
    `style-src 'nonce-${nonces.style}'`,
    `connect-src 'self' ${broker}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What the page runs, shown on it too: what an app's own page needs. */
function snippet(key: string, broker: string): string {
  return [
    `<script src="${DEMO_PATH}/oauth.js"></script>  <!-- oauthio-web@0.6.2, dist/oauth.min.js -->`,
    '<script>',
    `  OAuth.initialize(${JSON.stringify(key)});`,
    `  OAuth.setOAuthdURL(${JSON.stringify(broker)});`,
    `  OAuth.popup(${JSON.stringify(SANDBOX_ID)})`,
    '    .done((result) => result.me().done((profile) => console.log(result.access_token, profile)))',
    '    .fail((error) => console.error(error.message));',
    '</script>',
  ].join('\n');
}

const STYLE = 'pre{background:#f6f8fa;padding:.75rem;overflow-x:auto;border-radius:6px}pre code{background:none;padding:0;word-break:normal}';

function demoPage(key: string, broker: string, nonces: Nonces): string {
  const script =
    `(function(){var key=${jsonForScript(key)};var broker=${jsonForScript(broker)};var provider=${jsonForScript(SANDBOX_ID)};` +
    `var out=document.getElementById('result');` +
    `function show(state,lines){out.setAttribute('data-demo-result',state);out.textContent=lines.join('\\n');}` +
    // A token is shown shortened: enough to recognise it, never enough to copy it from a screen share.
    `function cut(v){return typeof v==='string'&&v.length>12?v.slice(0,6)+'\\u2026'+v.slice(-4):String(v);}` +
    `if(!window.OAuth){show('error',['oauth.js did not load']);return;}` +
    `OAuth.initialize(key);OAuth.setOAuthdURL(broker);` +
    `document.getElementById('signin').addEventListener('click',function(){` +
    `show('pending',['Waiting for the popup\\u2026 (allow popups for this page)']);` +
    `OAuth.popup(provider).done(function(result){` +
    `var lines=['provider      '+result.provider,'token_type    '+result.token_type,'access_token  '+cut(result.access_token)` +
    `,'id_token      '+(result.id_token?cut(result.id_token):'(none)'),'expires_in    '+result.expires_in];` +
    `result.me().done(function(me){show('success',lines.concat(['','result.me()','  id          '+me.id,'  name        '+me.name,'  email       '+me.email]));})` +
    `.fail(function(e){show('error',lines.concat(['','result.me() failed: '+(e&&e.responseJSON?e.responseJSON.message:e&&e.statusText)]));});` +
    `}).fail(function(e){show('error',['The sign-in failed: '+(e&&e.message)]);});` +
    `});})();`;
  return renderPage(
    'oauthd-cli demo: the client-side flow',
    html`${raw(`<style nonce="${nonces.style}">${STYLE}</style>`)}<main><h1>The client-side flow, in this browser</h1>
<p>This page is what an app's front end does: it loads oauthd's SDK (<code>oauthio-web@0.6.2</code>, served from
<code>${DEMO_PATH}/oauth.js</code>), opens a popup on the broker, you sign in on the sandbox, and the token comes back to the page.</p>
<p><button id="signin" type="button">Sign in with the sandbox</button></p>
<pre id="result" data-demo-result="idle">Not signed in yet.</pre>
<h2>The code</h2>
<pre><code>${snippet(key, broker)}</code></pre>
<p>In your own app, load <code>oauth.js</code> from the <code>oauthio-web</code> package, use your <code>app.key</code> from
oauthd.json, and list your page's origin in <code>app.domains</code>. This demo has an app of its own, for this broker's loopback addresses only.</p>
</main>${raw(`<script nonce="${nonces.script}" src="${DEMO_PATH}/oauth.js"></script>`)}`,
    nonces,
    script,
  );
}
