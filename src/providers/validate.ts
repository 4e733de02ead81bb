/**
 * Validation of provider descriptions: the JSON Schema (generated from ./schema.ts) plus the rules a
 * schema cannot say — the id matches the file name, every URL template names a declared parameter,
 * `{token.*}` appears only where a token exists, every token field that decides a URL's origin has
 * valid `tokenOrigins` patterns, authorizeParams leave the protocol's own parameters alone, and a
 * provider that requires PAR says where its PAR endpoint is.
 */
import { ProviderSpec } from './schema.js';
import { compileValidator, type SchemaProblem } from '../util/json-schema.js';
import { templateNames } from './template.js';
import { reservedExtras } from './endpoints.js';
import { originFields, parseOriginPattern } from './token-origins.js';

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
  // RFC 9126 §5: a provider that takes only pushed requests is useless without the endpoint to push to.
  if (spec.oauth2?.requirePar === true && spec.oauth2.parUrl === undefined) {
    problems.push({ path: '/oauth2/requirePar', message: 'is true but no parUrl says where to push (RFC 9126 §5 pushed_authorization_request_endpoint); add parUrl from the provider\'s documentation' });
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
        } else if (path.startsWith('/tokenOrigins/')) {
          problems.push({ path, message: `uses {${name}}: an origin pattern is the provider's word, never the token's` });
        }
      } else if (!declared.has(name) && !BUILTIN_TEMPLATE_NAMES.has(name)) {
        problems.push({ path, message: `uses {${name}}, which is not declared under "params"` });
      }
    }
  });
  problems.push(...tokenOriginProblems(spec));
  return problems;
}

/** The URL templates that may use token fields, with their JSON paths. */
function tokenUrlTemplates(spec: ProviderSpec): Array<[string, string]> {
  const templates: Array<[string, string]> = [];
  if (spec.api) templates.push(['/api/baseUrl', spec.api.baseUrl]);
  if (spec.profile) templates.push(['/profile/url', spec.profile.url]);
  return templates;
}

/**
 * Every token field that decides a URL's origin has patterns (a caller of the broker supplies it),
 * and every pattern parses. Keyset parameters in a pattern are checked with a stand-in value here;
 * their real values are checked when the keyset is used.
 */
function tokenOriginProblems(spec: ProviderSpec): ProviderProblem[] {
  const problems: ProviderProblem[] = [];
  const places = new Map<string, Set<string>>();
  for (const [path, template] of tokenUrlTemplates(spec)) {
    for (const { field, place } of originFields(template)) {
      places.set(field, (places.get(field) ?? new Set()).add(place));
      if (!spec.tokenOrigins?.[field]) {
        problems.push({
          path,
          message: `takes its origin from {token.${field}}, which a caller can set: declare the origins it may name under tokenOrigins.${field} (e.g. "https://*.example.com"), from the provider's documentation`,
        });
      }
    }
  }
  for (const [field, patterns] of Object.entries(spec.tokenOrigins ?? {})) {
    patterns.forEach((source, index) => {
      const path = `/tokenOrigins/${field}/${index}`;
      const pattern = parseOriginPattern(source.replace(/\{[^{}]*\}/g, 'example'));
      if (!pattern) {
        problems.push({ path, message: `"${source}" is not https://host[:port][/path] (a "*." wildcard only in front of a host of two labels or more)` });
      } else if (pattern.path !== '' && places.get(field)?.has('host')) {
        problems.push({ path, message: `has a path, but {token.${field}} fills a host; a host pattern is https://host[:port]` });
      }
    });
  }
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
