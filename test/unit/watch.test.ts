// src/providers/watch.ts: hot reload of provider folders, on a real temporary folder with real
// fs.watch events — add, edit, break, fix, delete, a user file overriding a shipped one, and a
// user folder created after the watch started.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchCatalog, type CatalogChange, type CatalogWatcher } from '../../src/providers/watch.js';
import type { ProviderSpec } from '../../src/providers/schema.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { makeTempDir } from '../helpers/run-cli.js';

function provider(id: string, name: string): ProviderSpec {
  return {
    id,
    name,
    docs: 'https://idp.example.com/docs',
    oauth2: {
      authorizeUrl: 'https://idp.example.com/authorize',
      tokenUrl: 'https://idp.example.com/token',
      clientAuth: 'client_secret_basic',
      pkce: 'supported',
      scopes: { separator: ' ', default: ['openid'] },
    },
  };
}

/** Saves like an editor does (temp file + rename), so each save is one complete change. */
async function save(dir: string, id: string, value: unknown): Promise<void> {
  await writeFileAtomic(join(dir, `${id}.json`), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

interface Recorder {
  changes: Array<{ id: string; change: CatalogChange }>;
  errors: Error[];
  /** The next change (after those already taken) that satisfies `match`. */
  next(match: (id: string, change: CatalogChange) => boolean): Promise<CatalogChange>;
}

function recorder(): Recorder & { onChange: (id: string, change: CatalogChange) => void; onError: (error: Error) => void } {
  const changes: Recorder['changes'] = [];
  const errors: Error[] = [];
  const pending = new Set<() => boolean>();
  let taken = 0;
  const next: Recorder['next'] = (match) =>
    new Promise((resolve, reject) => {
      const look = () => {
        for (let index = taken; index < changes.length; index++) {
          const { id, change } = changes[index]!;
          if (!match(id, change)) continue;
          taken = index + 1;
          clearTimeout(guard);
          resolve(change);
          return true;
        }
        return false;
      };
      // A guard against waiting forever, not a timing assertion: the test fails with what came.
      const guard = setTimeout(() => {
        pending.delete(look);
        reject(new Error(`no matching change; got ${JSON.stringify(changes.map((entry) => [entry.id, entry.change.kind]))}`));
      }, 10_000);
      if (!look()) pending.add(look);
    });
  return {
    changes,
    errors,
    next,
    onChange: (id, change) => {
      changes.push({ id, change });
      for (const look of [...pending]) if (look()) pending.delete(look);
    },
    onError: (error) => errors.push(error),
  };
}

let watcher: CatalogWatcher | undefined;
afterEach(() => {
  watcher?.close();
  watcher = undefined;
});

describe('watchCatalog', () => {
  it('reports an added, edited, broken, fixed and deleted file, and keeps serving the last good version while broken', async () => {
    const dir = (await makeTempDir()).path;
    await save(dir, 'existing', provider('existing', 'Already there'));
    const events = recorder();
    watcher = await watchCatalog([dir], events.onChange, events.onError, { debounceMs: 20 });
    expect(watcher.get('existing')?.name).toBe('Already there');

    // add
    await save(dir, 'myidp', provider('myidp', 'My IdP'));
    const added = await events.next((id) => id === 'myidp');
    expect(added).toMatchObject({ kind: 'updated', file: join(dir, 'myidp.json'), spec: { name: 'My IdP' } });
    expect(watcher.get('myidp')?.name).toBe('My IdP');

    // edit
    await save(dir, 'myidp', provider('myidp', 'My IdP, renamed'));
    expect(await events.next((id) => id === 'myidp')).toMatchObject({ kind: 'updated', spec: { name: 'My IdP, renamed' } });

    // break: a schema problem, reported with its JSON path; the previous version keeps serving
    const broken = provider('myidp', 'My IdP, broken');
    broken.oauth2!.tokenUrl = 'ftp://idp.example.com/token';
    await save(dir, 'myidp', broken);
    const reported = await events.next((id) => id === 'myidp');
    expect(reported.kind).toBe('broken');
    if (reported.kind !== 'broken') return;
    expect(reported.problems).toContainEqual({ path: '/oauth2/tokenUrl', message: expect.stringContaining('must match') });
    expect(reported.serving?.name).toBe('My IdP, renamed');
    expect(watcher.get('myidp')?.name).toBe('My IdP, renamed');
    expect(watcher.problems()).toEqual([{ id: 'myidp', file: join(dir, 'myidp.json'), problems: reported.problems }]);

    // broken JSON syntax is a problem too, and still not a removal
    await save(dir, 'myidp', '{ "id": "myidp", ');
    const syntax = await events.next((id) => id === 'myidp');
    expect(syntax).toMatchObject({ kind: 'broken', problems: [{ path: '', message: expect.stringContaining('invalid JSON') }] });
    expect(watcher.get('myidp')?.name).toBe('My IdP, renamed');

    // fix
    await save(dir, 'myidp', provider('myidp', 'My IdP, fixed'));
    expect(await events.next((id) => id === 'myidp')).toMatchObject({ kind: 'updated', spec: { name: 'My IdP, fixed' } });
    expect(watcher.problems()).toEqual([]);

    // delete
    await rm(join(dir, 'myidp.json'));
    expect(await events.next((id) => id === 'myidp')).toEqual({ kind: 'removed', file: join(dir, 'myidp.json') });
    expect(watcher.get('myidp')).toBeUndefined();
    expect(watcher.ids()).toEqual(['existing']);

    // Nothing else was reported: the untouched file never, no file twice in the same state.
    expect(events.changes.filter((change) => change.id === 'existing')).toEqual([]);
    const states = events.changes.map((change) => JSON.stringify(change));
    expect(states.every((state, index) => index === 0 || state !== states[index - 1])).toBe(true);
    expect(events.errors).toEqual([]);
  });

  it('checks that the id matches the file name, and ignores files that are not provider files', async () => {
    const dir = (await makeTempDir()).path;
    const events = recorder();
    watcher = await watchCatalog([dir], events.onChange, events.onError, { debounceMs: 20 });
    await writeFile(join(dir, 'notes.txt'), 'not a provider');
    await writeFile(join(dir, 'schema.json'), '{}');
    await save(dir, 'other', provider('wrong', 'Misnamed'));
    const change = await events.next((id) => id === 'other');
    expect(change).toMatchObject({ kind: 'broken', problems: [{ path: '/id', message: expect.stringContaining('other.json') }] });
    expect(events.changes.map((entry) => entry.id)).toEqual(['other']);
  });

  it('lets a user file override a shipped one, and brings the shipped one back when the user file goes', async () => {
    const user = (await makeTempDir()).path;
    const shipped = (await makeTempDir()).path;
    await save(shipped, 'acme', provider('acme', 'Acme (shipped)'));
    const events = recorder();
    watcher = await watchCatalog([user, shipped], events.onChange, events.onError, { debounceMs: 20 });
    expect(watcher.get('acme')?.name).toBe('Acme (shipped)');

    await save(user, 'acme', provider('acme', 'Acme (mine)'));
    expect(await events.next((id) => id === 'acme')).toMatchObject({ kind: 'updated', file: join(user, 'acme.json'), spec: { name: 'Acme (mine)' } });

    // An edit of the shadowed shipped file changes nothing that is served: no report.
    await save(shipped, 'acme', provider('acme', 'Acme (shipped, v2)'));
    await rm(join(user, 'acme.json'));
    expect(await events.next((id) => id === 'acme')).toMatchObject({ kind: 'updated', file: join(shipped, 'acme.json'), spec: { name: 'Acme (shipped, v2)' } });
    expect(events.changes.map((entry) => entry.change.kind)).toEqual(['updated', 'updated']);
  });

  it('notices a user folder created after the watch started', async () => {
    const parent = (await makeTempDir()).path;
    const user = join(parent, 'oauthd-providers');
    const events = recorder();
    watcher = await watchCatalog([user], events.onChange, events.onError, { debounceMs: 20 });
    expect(watcher.ids()).toEqual([]);

    await mkdir(user);
    await save(user, 'late', provider('late', 'Came later'));
    expect(await events.next((id) => id === 'late')).toMatchObject({ kind: 'updated', spec: { name: 'Came later' } });

    // And a file saved once the folder is watched for itself.
    await save(user, 'later', provider('later', 'Came even later'));
    expect(await events.next((id) => id === 'later')).toMatchObject({ kind: 'updated' });
    expect(events.errors).toEqual([]);
  });

  it('reports nothing after close', async () => {
    const dir = (await makeTempDir()).path;
    const events = recorder();
    const closing = await watchCatalog([dir], events.onChange, events.onError, { debounceMs: 20 });
    closing.close();
    await save(dir, 'quiet', provider('quiet', 'Quiet'));
    // A second watcher sees the file: the first one, closed, must not have.
    const witness = recorder();
    watcher = await watchCatalog([dir], witness.onChange, witness.onError, { debounceMs: 20 });
    expect(watcher.get('quiet')?.name).toBe('Quiet');
    await save(dir, 'quiet', provider('quiet', 'Quiet, edited'));
    await witness.next((id) => id === 'quiet');
    expect(events.changes).toEqual([]);
  });
});
