/** JSON parsing that reports where a file is broken as line:column, not as a byte offset. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    // The excerpt in an unexpected-token message is the file's text: never read a position from it.
    const position = UNEXPECTED_TOKEN.test(message) ? undefined : / at position (\d+)/.exec(message);
    const offset = position
      ? Number(position[1])
      : UNEXPECTED_TOKEN.test(message)
        ? unexpectedTokenOffset(text)
        : text.length;
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const reason = message
      .replace(/ at position \d+.*$/, '')
      .replace(/ in JSON$/, '')
      // V8's "Unexpected token 'x', "<excerpt of the text>" is not valid JSON": keep one line, no excerpt.
      .replace(/, (?:\.\.\.)?"[^]*"(?:\.\.\.)? is not valid JSON$/, '')
      .replace(/\n/g, '\\n')
      .replace(/^JSON\.parse: /, '');
    throw new JsonSyntaxError(`invalid JSON at line ${line}, column ${column}: ${reason}`, line, column);
  }
}

const UNEXPECTED_TOKEN = /^Unexpected token .* is not valid JSON$/s;

/**
 * V8 gives no position for an unexpected token. Every prefix that ends before the token fails
 * differently (end of input, or a positioned error), every prefix that holds it fails with this
 * message: the shortest such prefix ends at the token.
 */
function unexpectedTokenOffset(text: string): number {
  const failsAtToken = (prefix: string) => {
    try {
      JSON.parse(prefix);
      return false;
    } catch (error) {
      return UNEXPECTED_TOKEN.test((error as Error).message);
    }
  };
  let low = 1;
  let high = text.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (failsAtToken(text.slice(0, middle))) high = middle;
    else low = middle + 1;
  }
  return high - 1;
}

/** Reads a dotted path ("authed_user.access_token", "users.0") from parsed JSON. */
export function getPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
