/**
 * Validation of provider descriptions: the JSON Schema (generated from ./schema.ts) plus the rules a
 * schema cannot say — the id matches the file name, every URL template names a declared parameter,
 * `{token.*}` appears only where a token exists, and authorizeParams leave the protocol's own
 * parameters alone.
 */
import { ProviderSpec } from './schema.js';
import { compileValidator, type SchemaProblem } from '../util/json-schema.js';
import { templateNames } from './template.js';
import { reservedExtras } from '../oauth/oauth2.js';

export type ProviderProblem = SchemaProblem;

const checkSchema = compileValidator(ProviderSpec);

/** Template names every provider may use without declaring them. */
export const BUILTIN_TEMPLATE_NAMES = new Set(['client_id']);

/** Fields whose templates run before a token exists: `{token.*}` makes no sense there. */
const PRE_TOKEN_SECTIONS = ['oauth2', 'oauth1', 'oidc'];

export function validateProvider(value: unknown, fileId?: string): ProviderProblem[] {
  const problems = checkSchema(value);
  if (problems.length > 0) return problems;
  const spec = value as ProviderSpec;
  if (fileId !== undefined && spec.id !== fileId) {
    problems.push({ path: '/id', message: `is "${spec.id}" but the file is named ${fileId}.json; they must match` });
  }
  if (spec.oauth2?.authorizeParams) {
    for (const name of reservedExtras({ scopeParam: spec.oauth2.scopes.param ?? 'scope' }, spec.oauth2.authorizeParams)) {
      problems.push({ path: `/oauth2/authorizeParams/${name}`, message: `sets ${name}, which the broker sets on every authorization request; remove it` });
    }
  }
  const declared = new Set(Object.keys(spec.params ?? {}));
  walkStrings(spec, '', (text, path) => {
    for (const name of templateNames(text)) {
      if (name.startsWith('id_token.')) {
        if (!path.startsWith('/oidc/acceptIssuers/')) {
          problems.push({ path, message: `uses {${name}}, which only oidc.acceptIssuers may use (an id_token exists only there)` });
        }
      } else if (name.startsWith('token.')) {
        if (PRE_TOKEN_SECTIONS.some((section) => path.startsWith(`/${section}/`))) {
          problems.push({ path, message: `uses {${name}}, but no token exists yet at this step` });
        }
      } else if (!declared.has(name) && !BUILTIN_TEMPLATE_NAMES.has(name)) {
        problems.push({ path, message: `uses {${name}}, which is not declared under "params"` });
      }
    }
  });
  return problems;
}

function walkStrings(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') {
    visit(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => walkStrings(item, `${path}/${index}`, visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      // Descriptions and notes are prose; only URL-bearing values are templates.
      if (key === 'notes' || key === 'description' || key === 'values' || key === 'example' || key === 'pattern' || key === '$schema') continue;
      walkStrings(item, `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, visit);
    }
  }
}
