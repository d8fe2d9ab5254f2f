import { describe, expect, it } from 'vitest';
import { linkParts, safeHref } from './links.ts';

describe('linkParts', () => {
  it('makes http and https URLs links, and keeps the text around them as text', () => {
    expect(linkParts('see https://example.org/a?b=1#c and http://x.test')).toEqual([
      { text: 'see ' },
      { text: 'https://example.org/a?b=1#c', href: 'https://example.org/a?b=1#c' },
      { text: ' and ' },
      { text: 'http://x.test', href: 'http://x.test/' },
    ]);
  });

  it('never links another scheme, whatever its case or disguise', () => {
    for (const text of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      'file:///etc/passwd',
      'ftp://example.org',
      '//example.org/x',
      'www.example.org',
      'https://',
      'http:/one-slash.org',
    ]) {
      expect(linkParts(text), text).toEqual([{ text }]);
    }
    expect(safeHref('javascript://example.org/%0Aalert(1)')).toBeNull();
  });

  it('leaves sentence punctuation out of the link, but keeps a bracket the URL opened', () => {
    expect(linkParts('(see https://example.org/x).')).toEqual([
      { text: '(see ' },
      { text: 'https://example.org/x', href: 'https://example.org/x' },
      { text: ').' },
    ]);
    expect(linkParts('https://en.wikipedia.org/wiki/Foo_(bar), yes')[0]).toEqual({
      text: 'https://en.wikipedia.org/wiki/Foo_(bar)',
      href: 'https://en.wikipedia.org/wiki/Foo_(bar)',
    });
  });

  it('does not let markup through: quotes and angle brackets end a URL', () => {
    const parts = linkParts('https://x.test/"><img src=x onerror=alert(1)>');
    expect(parts[0]).toEqual({ text: 'https://x.test/', href: 'https://x.test/' });
    expect(parts.slice(1).every((p) => !('href' in p))).toBe(true);
    expect(parts.map((p) => p.text).join('')).toBe('https://x.test/"><img src=x onerror=alert(1)>');
  });

  it('plain text is one part; empty text none', () => {
    expect(linkParts('hello')).toEqual([{ text: 'hello' }]);
    expect(linkParts('')).toEqual([]);
  });
});
