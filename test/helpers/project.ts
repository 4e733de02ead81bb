// A project as a user makes one: a fresh folder, its own HOME and data folder (the 0600 vault
// lands there), `init --yes`, and — for the flows against the OIDC fixture — the fixture added as
// an OpenID provider through its discovery document.
import { join } from 'node:path';
import { expect } from 'vitest';
import { browserCommand, makeTempDir, runCli } from './run-cli.js';

export interface Project {
  dir: string;
  env: Record<string, string>;
}

/** The fixture's default client (test/fixtures/oidc-server.mjs). */
export const FIXTURE_CLIENT = { id: 'test-client', secret: 'test-secret' };

export async function newProject(env: Record<string, string> = {}): Promise<Project> {
  const dir = (await makeTempDir()).path;
  const all = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), IDP_SECRET: FIXTURE_CLIENT.secret, BROWSER: browserCommand(), ...env };
  const init = await runCli(['init', '--yes', '--json'], { cwd: dir, env: all });
  expect(init.code, init.stderr).toBe(0);
  return { dir, env: all };
}

/** `providers add <id> --issuer <issuer>` with the fixture's client; the secret comes from $IDP_SECRET. */
export async function addIssuer(project: Project, issuer: string, id = 'myidp'): Promise<void> {
  const add = await runCli(['providers', 'add', id, '--issuer', issuer, '--client-id', FIXTURE_CLIENT.id, '--client-secret-env', 'IDP_SECRET'], {
    cwd: project.dir,
    env: project.env,
  });
  expect(add.code, add.stderr).toBe(0);
}
