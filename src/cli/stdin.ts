/** Reading all of stdin (piped secrets, pasted URLs), bounded so a stray pipe cannot eat memory. */
import type { InputStream } from './context.js';
import { usageError } from '../util/errors.js';

const LIMIT = 64 * 1024;

export async function readAll(stream: InputStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > LIMIT) throw usageError(`stdin holds more than ${LIMIT / 1024} KiB; expected one value`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
