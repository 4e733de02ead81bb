/**
 * Templates in provider descriptions.
 *
 * URL templates: `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`,
 * `{token.instance_url}/services/data`. A value filling a path or host segment is percent-encoded;
 * a value that *starts* the template is a base URL and must itself be an http(s) URL.
 *
 * Text templates: header values (`X-Shopify-Access-Token: {token.access_token}`) and query
 * parameter values (`key: {key}`, encoded later by URLSearchParams). They are not URLs: a value is
 * inserted as is, but never one carrying control characters (CR/LF would split an HTTP header,
 * RFC 9110 §5.5).
 */
const PLACEHOLDER = /\{([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)?)\}/g;

export function templateNames(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1] as string);
}

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly missing: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** `url` (the default): a URL template; `text`: a header or query parameter value. */
export type TemplateKind = 'url' | 'text';

export function fillTemplate(
  template: string,
  values: Readonly<Record<string, string | undefined>>,
  kind: TemplateKind = 'url',
): string {
  return template.replace(PLACEHOLDER, (_match, name: string, offset: number) => {
    const value = values[name];
    if (value === undefined || value === '') {
      throw new TemplateError(`the ${kind === 'url' ? 'URL' : 'value'} ${template} needs a value for {${name}}`, name);
    }
    if (kind === 'text') {
      // The value may be a token: the message never repeats it.
      if (/[\x00-\x1f\x7f]/.test(value)) throw new TemplateError(`{${name}} holds a control character, which ${template} cannot carry`, name);
      return value;
    }
    if (offset === 0) {
      if (!/^https?:\/\/[^\s]+$/.test(value)) {
        throw new TemplateError(`{${name}} must be an http(s) URL to start ${template}, got "${value}"`, name);
      }
      return value.replace(/\/+$/, '');
    }
    // encodeURIComponent leaves "." alone: a value of "." or ".." would walk the URL's path.
    if (value === '.' || value === '..') throw new TemplateError(`{${name}} cannot be "${value}" (it would change the URL's path)`, name);
    return encodeURIComponent(value);
  });
}
