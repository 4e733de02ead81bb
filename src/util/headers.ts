/** HTTP header names are case-insensitive (RFC 9110 §5.1); we keep them lower-case. */
export function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}
