import { describe, expect, it } from 'vitest';
import { Lookalike } from '../../src/sandbox/lookalike.js';
import type { ProviderSpec } from '../../src/providers/schema.js';

// A provider whose token endpoint takes JSON (tokenRequestBody "json"): its look-alike turns the
// JSON body into the form node-oidc-provider reads.
const spec = {
  id: 'jsonish',
  name: 'Jsonish',
  docs: 'https://jsonish.example/docs',
  oauth2: { authorizeUrl: 'https://jsonish.example/authorize', tokenUrl: 'https://jsonish.example/token', tokenRequestBody: 'json' },
} as unknown as ProviderSpec;

describe('a look-alike reading a JSON token request', () => {
  it('sends a JSON array on as the parameter repeated (RFC 8693 §2.1: several audience and resource)', () => {
    const lookalike = new Lookalike(spec);
    const body = JSON.stringify({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', audience: ['billing', 'ledger'], resource: ['https://a.example/', 'https://b.example/'], expires: 5 });
    const { body: form, headers } = lookalike.tokenRequest(Buffer.from(body), { 'content-type': 'application/json' });
    const fields = new URLSearchParams(form.toString());
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(fields.getAll('audience')).toEqual(['billing', 'ledger']);
    expect(fields.getAll('resource')).toEqual(['https://a.example/', 'https://b.example/']);
    expect(fields.get('expires')).toBe('5');
  });
});
