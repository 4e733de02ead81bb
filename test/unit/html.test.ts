// src/util/html.ts: escaping for pages and inline scripts.
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, jsonForScript, raw, RawHtml, renderPage } from '../../src/util/html.js';

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;',
    );
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
    expect(escapeHtml('plain text, ünïcode')).toBe('plain text, ünïcode');
  });
});

describe('jsonForScript', () => {
  const hostile = {
    redirect_uri: 'https://app.example/cb?x=</script><script>alert(1)</script>',
    comment: '<!-- <script>',
    separators: 'a\u2028b\u2029c',
    amp: 'a && b',
    quote: '"\'',
  };

  it('no value can close the script element, open a comment or break the line', () => {
    const out = jsonForScript(hostile);
    expect(out).not.toMatch(/[<>&\u2028\u2029]/);
    expect(out).not.toContain('</script');
    expect(out).not.toContain('<!--');
    expect(jsonForScript('</script>')).toBe('"\\u003c/script\\u003e"');
    expect(jsonForScript('\u2028')).toBe('"\\u2028"');
  });

  it('is still the same value, as JSON and as a JavaScript expression', () => {
    const out = jsonForScript(hostile);
    expect(JSON.parse(out)).toEqual(hostile);
    expect(new Function(`return ${out};`)()).toEqual(hostile);
  });
});

describe('html tag', () => {
  it('escapes every interpolated value', () => {
    const value = '"><img src=x onerror=alert(1)>';
    const page = html`<p title="${value}">${value}</p>`;
    expect(page).toBeInstanceOf(RawHtml);
    expect(page.value).toBe(
      '<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</p>',
    );
  });

  it('raw() and nested html are inserted as is; lists are joined; nothing for null, undefined, false', () => {
    const items = ['<a>', '<b>'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${raw('<hr>')}${null}${undefined}${false}${0}${'&'}`.value).toBe(
      '<ul><li>&lt;a&gt;</li><li>&lt;b&gt;</li></ul><hr>0&amp;',
    );
  });

  it('renderPage escapes the title and puts the nonces on the one script and style', () => {
    const page = renderPage('<Login> & "done"', html`<p>${'hi'}</p>`, { script: 'sn', style: 'tn' }, 'run();');
    expect(page).toContain('<title>&lt;Login&gt; &amp; &quot;done&quot;</title>');
    expect(page).toContain('<style nonce="tn">');
    expect(page).toContain('<body><p>hi</p><script nonce="sn">run();</script></body>');
    expect(renderPage('t', html``, { script: 'sn', style: 'tn' })).not.toContain('<script');
  });
});
