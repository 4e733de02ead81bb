/** `providers register`: its arguments, flags and help (commander only; ./providers-register.ts runs it). */
import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { collect, examples, type FlagsOf } from '../flags.js';

/** The methods a registered client can use with what registration gives it (a secret, or nothing), or what --key / --cert register (a public key, a certificate). */
export const REGISTERED_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'] as const;

export function declare(providers: CommandUnknownOpts) {
  return providers
    .command('register <issuer>')
    .description('register a client at an OpenID provider\'s registration endpoint (RFC 7591); its secrets go to the vault')
    .option('--save <id>', 'keep it as provider <id> in oauthd.json (issuer, client id, secret references), so `login <id>` works at once')
    .addOption(new Option('--auth-method <method>', 'how the client will authenticate (RFC 7591 §2 token_endpoint_auth_method)').choices(REGISTERED_AUTH_METHODS).default('client_secret_basic'))
    .option('--key <file>', 'with --auth-method private_key_jwt: the client\'s private key (PEM or JWK); its public part is registered (RFC 7591 §2 jwks), the key kept in the vault. With --cert: the certificate\'s private key')
    .option('--cert <file>', 'with --auth-method tls_client_auth or self_signed_tls_client_auth: the client certificate (PEM) to register (RFC 8705 §2.1 its subject DN, §2.2 the certificate itself); the keyset names both files')
    .option('--redirect-uri <uri>', 'a redirect URI to register (repeatable; default: the loopback one login uses, http://127.0.0.1:<broker port>/auth)', collect)
    .option('--scope <scopes>', 'the scopes the client may ask for, space-separated (RFC 7591 §2 scope)')
    .option('--client-name <name>', 'the name the provider shows users (default "oauthd-cli")')
    .option('--initial-access-token <token>', 'the token the server wants for registering (RFC 7591 §3); visible to ps and your shell history, so prefer the next flag')
    .option('--initial-access-token-stdin', 'read the initial access token from stdin')
    .option('--json', 'print what was registered as JSON (secrets as their vault references, never their values)')
    .addHelpText(
      'after',
      '\nThe client secret and the registration access token (RFC 7592) go to the OS keychain, or the 0600\n' +
        'file where none answers; oauthd.json holds only references to them (keychain:<id>,\n' +
        'keychain:<id>.registration); with private_key_jwt the private key goes there too (keychain:<id>.key)\n' +
        'and only its public JWK to the provider. `providers registration <id>` reads or updates the client\n' +
        '(RFC 7592 §2.1, §2.2); `providers unregister <id>` deletes it at the provider.\n' +
        examples([
          'oauthd-cli providers register https://idp.example.com --save myidp && oauthd-cli login myidp',
          'oauthd-cli providers register http://127.0.0.1:6285/sandbox --save mysb      # the sandbox command\'s provider',
          'printf %s "$IAT" | oauthd-cli providers register https://idp.example.com --initial-access-token-stdin --save myidp',
          'oauthd-cli providers register https://idp.example.com --auth-method none --scope "openid email" --json',
          'oauthd-cli providers register https://idp.example.com --auth-method private_key_jwt --key client.pem --save myidp',
          'oauthd-cli providers register https://idp.example.com --auth-method self_signed_tls_client_auth --cert client.crt --key client.key --save myidp',
          'oauthd-cli providers registration myidp --redirect-uri http://127.0.0.1:6284/auth   # read or update it later (RFC 7592)',
        ]),
    );
}

export type ProvidersRegisterFlags = FlagsOf<ReturnType<typeof declare>>;
