// `providers show <id> --json` gives, beside the description's templates, each endpoint as a flow
// will call it: the templates filled with the parameters' defaults, overlaid by the keyset's.
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli, type RunCliResult } from '../helpers/run-cli.js';

function json<T>(result: RunCliResult): T {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

interface Shown {
  oauth2: { authorizeUrl: string };
  templateValues: Record<string, string>;
  endpoints: {
    oidc?: { issuer: string | null; jwksUri?: string | null };
    oauth2?: { authorizeUrl: string | null; tokenUrl: string | null; refreshUrl: string | null; deviceAuthorizationUrl?: string | null; revokeUrl?: string | null };
    api?: { baseUrl: string | null };
    profile?: { url: string | null };
  };
}

describe('providers show --json: the resolved endpoints', () => {
  it('fills the templates with the parameters\' defaults when nothing is configured', async () => {
    const dir = (await makeTempDir()).path;
    const shown = json<Shown>(await runCli(['providers', 'show', 'microsoft', '--json'], { cwd: dir }));
    // The template stays as it is in the description…
    expect(shown.oauth2.authorizeUrl).toBe('https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize');
    // …and the endpoints beside it are filled, as the text view's "= …" lines are.
    expect(shown.templateValues).toEqual({ tenant: 'common' });
    expect(shown.endpoints.oauth2).toEqual({
      authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      refreshUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      deviceAuthorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/devicecode',
    });
    expect(shown.endpoints.oidc?.issuer).toBe('https://login.microsoftonline.com/common/v2.0');
    expect(shown.endpoints.profile?.url).toBe('https://graph.microsoft.com/v1.0/me');

    const text = await runCli(['providers', 'show', 'microsoft'], { cwd: dir });
    expect(text.stdout).toContain(`= ${shown.endpoints.oauth2?.authorizeUrl as string}`);
  });

  it('uses the keyset\'s parameters and client id; a value known only from the token response stays null', async () => {
    const dir = (await makeTempDir()).path;
    const env = { HOME: dir, XDG_DATA_HOME: `${dir}/data` };
    expect((await runCli(['init', '--yes'], { cwd: dir, env })).code).toBe(0);
    const add = await runCli(['providers', 'add', 'microsoft', '--client-id', 'ms-client', '--param', 'tenant=contoso.com', '--client-secret-env', 'MS_SECRET'], { cwd: dir, env });
    expect(add.code, add.stderr).toBe(0);
    const microsoft = json<Shown>(await runCli(['providers', 'show', 'microsoft', '--json'], { cwd: dir, env }));
    expect(microsoft.templateValues).toEqual({ client_id: 'ms-client', tenant: 'contoso.com' });
    expect(microsoft.endpoints.oauth2?.tokenUrl).toBe('https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token');

    const salesforce = json<Shown>(await runCli(['providers', 'show', 'salesforce', '--json'], { cwd: dir, env }));
    expect(salesforce.endpoints.api).toEqual({ baseUrl: null });
    expect(salesforce.endpoints.oauth2?.revokeUrl).toMatch(/^https:\/\/login\.salesforce\.com\//);
  });
});
