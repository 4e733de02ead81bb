/**
 * URL templates in provider descriptions: `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`,
 * `{token.instance_url}/services/data`. A value filling a path or host segment is percent-encoded;
 * a value that *starts* the template is a base URL and must itself be an http(s) URL.
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

export function fillTemplate(template: string, values: Readonly<Record<string, string | undefined>>): string {
  return template.replace(PLACEHOLDER, (_match, name: string, offset: number) => {
    const value = values[name];
    if (value === undefined || value === '') {
      throw new TemplateError(`the URL ${template} needs a value for {${name}}`, name);
    }
    if (offset === 0) {
      if (!/^https?:\/\/[^\s]+$/.test(value)) {
        throw new TemplateError(`{${name}} must be an http(s) URL to start ${template}, got "${value}"`, name);
      }
      return value.replace(/\/+$/, '');
    }
    return encodeURIComponent(value);
  });
}
