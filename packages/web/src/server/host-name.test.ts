import { describe, expect, it } from 'vitest';

import { allowedHosts, isAllowedHost } from './allowed-hosts.js';
import {
  bareHost,
  canonicalHost,
  canonicalHostHeader,
  isLoopbackHost,
  isWildcardHost,
  urlHost,
} from './host-name.js';

describe('host names', () => {
  it('brackets IPv6 addresses in URLs, and takes the brackets off', () => {
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('[::1]')).toBe('[::1]');
    expect(urlHost('127.0.0.1')).toBe('127.0.0.1');
    expect(urlHost('localhost')).toBe('localhost');
    expect(bareHost('[::1]')).toBe('::1');
    expect(bareHost('::1')).toBe('::1');
  });

  it('writes a host and port as a URL does, so that spellings of one address compare equal', () => {
    expect(canonicalHost('::ffff:127.0.0.1', 4815)).toBe('[::ffff:7f00:1]:4815');
    expect(canonicalHost('[0:0:0:0:0:0:0:1]', 4815)).toBe('[::1]:4815');
    expect(canonicalHost('LocalHost', 4815)).toBe('localhost:4815');
    expect(canonicalHost('127.0.0.1', 80)).toBe('127.0.0.1');
    expect(canonicalHostHeader('[::FFFF:127.0.0.1]:4815')).toBe('[::ffff:7f00:1]:4815');
    expect(canonicalHostHeader('127.0.0.1:80')).toBe('127.0.0.1');
  });

  it('refuses a Host header that is more than a host and a port', () => {
    for (const header of [
      'user@127.0.0.1:4815',
      '127.0.0.1:4815/path',
      '127.0.0.1:4815?q',
      '127.0.0.1:99999',
      'evil.example\\@127.0.0.1',
      '',
      '[::1',
    ]) {
      expect(canonicalHostHeader(header), header).toBeUndefined();
    }
  });

  it('knows any spelling of ::1, localhost and all of 127.0.0.0/8 as loopback', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      '127.255.255.254',
      'localhost',
      'LOCALHOST',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '[0000:0000:0000:0000:0000:0000:0000:0001]',
      '::ffff:127.0.0.1',
      '::ffff:127.9.8.7',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      '::ffff:10.0.0.1',
      '::2',
      'evil.example',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('knows the wildcards in any spelling', () => {
    for (const host of ['0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0']) {
      expect(isWildcardHost(host), host).toBe(true);
    }
    for (const host of ['127.0.0.1', '::1', '10.0.0.1'])
      expect(isWildcardHost(host), host).toBe(false);
  });
});

describe('allowedHosts', () => {
  it('answers the loopback names and the bound host, however the Host header spells them', () => {
    const hosts = allowedHosts({ host: '::ffff:127.0.0.1', port: 4815 });
    for (const header of [
      '127.0.0.1:4815',
      'localhost:4815',
      'LOCALHOST:4815',
      '[::1]:4815',
      '[0:0:0:0:0:0:0:1]:4815',
      '[::ffff:7f00:1]:4815',
      '[::ffff:127.0.0.1]:4815',
    ]) {
      expect(isAllowedHost(header, hosts), header).toBe(true);
    }
    for (const header of ['127.0.0.1:4816', 'evil.example:4815', '127.0.0.1', undefined, null]) {
      expect(isAllowedHost(header, hosts), String(header)).toBe(false);
    }
  });

  it('answers a Host without a port only on port 80', () => {
    expect(isAllowedHost('127.0.0.1', allowedHosts({ host: '127.0.0.1', port: 80 }))).toBe(true);
    expect(isAllowedHost('127.0.0.1:80', allowedHosts({ host: '127.0.0.1', port: 80 }))).toBe(true);
    expect(isAllowedHost('127.0.0.1', allowedHosts({ host: '127.0.0.1', port: 8080 }))).toBe(false);
  });
});
