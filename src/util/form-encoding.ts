/**
 * application/x-www-form-urlencoded serialization (WHATWG URL §5.2, the one URLSearchParams
 * applies; RFC 6749 Appendix B), for the broker's hottest path: building a URLSearchParams only
 * to serialize it costs more than the string itself. The output is byte for byte what
 * URLSearchParams.toString() gives (a unit test compares them on every character class).
 */

/** The bytes the serializer leaves as they are: ALPHA, DIGIT, `*`, `-`, `.`, `_`. */
const UNCHANGED = /^[A-Za-z0-9*\-._]*$/;
/** What encodeURIComponent leaves alone but the form serializer encodes, and the space it turns into `+`. */
const URI_COMPONENT_DIFFERENCES = /[!'()~]|%20/g;
/** Lone surrogates: URLSearchParams writes U+FFFD for them where encodeURIComponent would throw. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;

export function formEncode(value: string): string {
  // States, challenges, nonces and most client ids are base64url: nothing to encode.
  if (UNCHANGED.test(value)) return value;
  return encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD')).replace(URI_COMPONENT_DIFFERENCES, (match) =>
    match === '%20' ? '+' : `%${match.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * A string of the base64url alphabet (RFC 4648 §5): ALPHA, DIGIT, `-` and `_`, which the form
 * serializer leaves as they are, so it goes into a query unencoded. The type says where the value
 * comes from: an encoder's output (the sealed state, the nonce, the PKCE challenge), or
 * `base64Url()`'s check.
 */
export type Base64Url = string & { readonly base64url: unique symbol };

/** Whether `value` is of the base64url alphabet only (the empty string is). */
export function isBase64Url(value: string): value is Base64Url {
  return /^[A-Za-z0-9_-]*$/.test(value);
}

/** `value` as Base64Url, after checking its alphabet: for values that do not come from an encoder. */
export function base64Url(value: string): Base64Url {
  if (!isBase64Url(value)) throw new TypeError(`not base64url: ${JSON.stringify(value.slice(0, 40))}`);
  return value;
}
