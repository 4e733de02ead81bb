// The broker's answers leave together, once the requests of one poll are handled (answer-batch.ts).
import { describe, expect, it } from 'vitest';
import { AnswerBatch } from '../../src/broker/answer-batch.js';

describe('AnswerBatch', () => {
  it('writes nothing while the current poll is still being handled, then everything in order, in one check phase', async () => {
    const batch = new AnswerBatch();
    const events: string[] = [];
    batch.add(() => events.push('answer 1'));
    // A handler that finishes later in the same turn (a microtask, like an awaited store call).
    await Promise.resolve().then(() => batch.add(() => events.push('answer 2')));
    batch.add(() => events.push('answer 3'));
    events.push('handlers done');
    // An immediate queued after the batch's own runs after all three answers.
    await new Promise<void>((resolve) => setImmediate(() => { events.push('next immediate'); resolve(); }));
    expect(events).toEqual(['handlers done', 'answer 1', 'answer 2', 'answer 3', 'next immediate']);
  });

  it('starts a new batch for answers queued after a flush', async () => {
    const batch = new AnswerBatch();
    const events: string[] = [];
    batch.add(() => events.push('first'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first']);
    batch.add(() => events.push('second'));
    expect(events).toEqual(['first']);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first', 'second']);
  });
});
