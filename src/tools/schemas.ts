import { Config } from '../config/schema.js';
import { ProviderSpec } from '../providers/schema.js';

/** The shipped schema files, by path relative to the package root, as they must read on disk. */
export function renderSchemas(): Record<string, string> {
  const render = (schema: object, id: string, title: string) =>
    JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', $id: id, title, ...schema }, null, 2) + '\n';
  return {
    'providers/schema.json': render(ProviderSpec, 'https://oauthd-cli.dev/schemas/provider.json', 'oauthd-cli provider description'),
    'schemas/oauthd.schema.json': render(Config, 'https://oauthd-cli.dev/schemas/oauthd.json', 'oauthd-cli configuration (oauthd.json)'),
  };
}
