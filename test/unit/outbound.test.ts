import { afterEach, describe, expect, it } from 'vitest';
import {
  AddressDeniedError,
  resolveAllowed,
  setResolver,
  webhookUrlProblem,
  webhookUrlProblemAfterDns,
} from '../../functions/lib/outbound.ts';
import { pinnedRequestOptions } from '../../functions/webhooks/send.ts';
import { rebindingResolver, tableResolver, testDefaultResolver } from '../support/dns.ts';

const AWS = { allowLoopback: false };
const LOCAL = { allowLoopback: true };

afterEach(() => setResolver(testDefaultResolver));

describe('webhook URL rules without DNS', () => {
  it('in AWS: https only, no credentials, no localhost, no special-purpose literal', () => {
    expect(webhookUrlProblem('https://shop.example/hooks', AWS)).toBeUndefined();
    expect(webhookUrlProblem('https://[2001:4860:4860::8888]/hooks', AWS)).toBeUndefined();
    for (const url of ['http://shop.example/hooks', 'http://127.0.0.1:9000/hooks', 'ftp://shop.example/']) {
      expect(webhookUrlProblem(url, AWS)?.code, url).toBe('webhook_url_insecure');
    }
    for (const url of [
      'https://169.254.169.254/latest',
      'https://10.0.0.1/',
      'https://192.168.1.1/',
      'https://172.16.0.1/',
      'https://100.64.0.1/',
      'https://198.18.0.1/',
      'https://127.0.0.1/',
      'https://0.0.0.0/',
      'https://localhost/',
      'https://LOCALHOST./',
      'https://api.localhost/',
      'https://[::1]/',
      'https://[fd00::1]/',
      'https://[fe80::1]/',
      'https://user:pass@shop.example/',
      'not a url',
    ]) {
      expect(webhookUrlProblem(url, AWS)?.code, url).toBe('webhook_url_forbidden');
    }
  });

  it('odd literal spellings of an internal address are refused (the URL parser canonicalizes them)', () => {
    for (const url of [
      'https://2130706433/', // decimal 127.0.0.1
      'https://0x7f.1/', // hex, short form
      'https://0x7f000001/',
      'https://017700000001/', // octal
      'https://0177.0.0.1/',
      'https://127.1/',
      'https://0/',
      'https://０x7f.1/', // fullwidth digits
      'https://2852039166/', // decimal 169.254.169.254
      'https://[::ffff:127.0.0.1]/', // IPv4-mapped
      'https://[::ffff:a9fe:a9fe]/',
      'https://[::127.0.0.1]/', // IPv4-compatible
      'https://[64:ff9b::10.0.0.1]/', // NAT64 of a private address
      'https://[2002:7f00:1::]/', // 6to4 of 127.0.0.1
      'https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', // Teredo, client 127.0.0.1
    ]) {
      expect(webhookUrlProblem(url, AWS)?.code, url).toBe('webhook_url_forbidden');
    }
  });

  it('locally: http and https to loopback are allowed, http elsewhere and other internal addresses are not', () => {
    expect(webhookUrlProblem('http://127.0.0.1:9000/hooks', LOCAL)).toBeUndefined();
    expect(webhookUrlProblem('http://localhost:9000/hooks', LOCAL)).toBeUndefined();
    expect(webhookUrlProblem('http://[::1]:9000/hooks', LOCAL)).toBeUndefined();
    expect(webhookUrlProblem('https://localhost/hooks', LOCAL)).toBeUndefined();
    expect(webhookUrlProblem('http://example.com/hooks', LOCAL)?.code).toBe('webhook_url_insecure');
    expect(webhookUrlProblem('https://169.254.169.254/', LOCAL)?.code).toBe('webhook_url_forbidden');
    expect(webhookUrlProblem('https://10.0.0.1/', LOCAL)?.code).toBe('webhook_url_forbidden');
  });
});

describe('webhook URL rules after DNS', () => {
  it('the issue example: https://localtest.me/ resolves to 127.0.0.1 and is refused in AWS', async () => {
    const resolver = tableResolver({ 'localtest.me': ['127.0.0.1'] });
    setResolver(resolver);
    expect(await webhookUrlProblemAfterDns('https://localtest.me/', AWS)).toEqual({
      code: 'webhook_url_forbidden',
      message: expect.stringMatching(/public address/),
    });
    expect(resolver.asked).toEqual(['localtest.me']);
    // The message never names what the name resolved to: registration is no probe of internal DNS.
    expect((await webhookUrlProblemAfterDns('https://localtest.me/', AWS))?.message).not.toContain('127');
  });

  it('locally the same URL is allowed: loopback stays reachable for the demo', async () => {
    setResolver(tableResolver({ 'localtest.me': ['127.0.0.1'] }));
    expect(await webhookUrlProblemAfterDns('https://localtest.me/', LOCAL)).toBeUndefined();
  });

  it('a name with ANY special-purpose answer is refused, whatever comes first', async () => {
    setResolver(
      tableResolver({
        'mixed.example': ['93.184.215.14', '10.0.0.5'],
        'metadata.example': ['169.254.169.254'],
        'v6.example': ['2606:4700:4700::1111', 'fd00::1'],
        'nat64.example': ['64:ff9b::a9fe:a9fe'],
        'public.example': ['93.184.215.14', '2606:4700:4700::1111'],
        'dns64.example': ['64:ff9b::5db8:d70e'],
      }),
    );
    for (const host of ['mixed', 'metadata', 'v6', 'nat64']) {
      expect((await webhookUrlProblemAfterDns(`https://${host}.example/`, AWS))?.code, host).toBe(
        'webhook_url_forbidden',
      );
    }
    expect(await webhookUrlProblemAfterDns('https://public.example/', AWS)).toBeUndefined();
    expect(await webhookUrlProblemAfterDns('https://dns64.example/', AWS)).toBeUndefined();
  });

  it('a name that does not resolve yet is accepted (every delivery resolves and checks again)', async () => {
    const resolver = tableResolver({});
    setResolver(resolver);
    expect(await webhookUrlProblemAfterDns('https://not-yet.example/', AWS)).toBeUndefined();
    expect(resolver.asked).toEqual(['not-yet.example']);
  });

  it('a URL already wrong without DNS is refused without asking', async () => {
    const resolver = tableResolver({});
    setResolver(resolver);
    expect((await webhookUrlProblemAfterDns('http://shop.example/', AWS))?.code).toBe('webhook_url_insecure');
    expect(resolver.asked).toEqual([]);
  });
});

describe('resolveAllowed (what a connection may go to)', () => {
  it('DNS rebinding: public at the check, 127.0.0.1 at the connection: the second is refused', async () => {
    setResolver(rebindingResolver('rebind.example', '93.184.215.14', '127.0.0.1'));
    expect(await resolveAllowed('rebind.example', { policy: AWS })).toEqual({
      address: '93.184.215.14',
      family: 4,
    });
    const second = resolveAllowed('rebind.example', { policy: AWS });
    await expect(second).rejects.toBeInstanceOf(AddressDeniedError);
    await expect(second).rejects.toMatchObject({
      code: 'EADDRDENIED',
      address: '127.0.0.1',
      message: 'address not allowed: 127.0.0.1 (loopback (RFC 1122))',
    });
  });

  it('a literal is its own answer, no resolver asked; brackets are stripped', async () => {
    const resolver = tableResolver({});
    setResolver(resolver);
    expect(await resolveAllowed('[2606:4700:4700::1111]', { policy: AWS })).toEqual({
      address: '2606:4700:4700::1111',
      family: 6,
    });
    await expect(resolveAllowed('[::ffff:7f00:1]', { policy: AWS })).rejects.toBeInstanceOf(
      AddressDeniedError,
    );
    expect(resolver.asked).toEqual([]);
  });

  it('a resolver that answers nothing, or an odd string, fails closed', async () => {
    setResolver(async (name) => (name === 'empty.example' ? [] : [{ address: '0x7f.1', family: 4 }]));
    await expect(resolveAllowed('empty.example', { policy: AWS })).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    await expect(resolveAllowed('odd.example', { policy: AWS })).rejects.toBeInstanceOf(AddressDeniedError);
  });

  it('an aborted signal wins over a resolver that never answers', async () => {
    setResolver(() => new Promise(() => {}));
    const controller = new AbortController();
    const pending = resolveAllowed('slow.example', { policy: AWS, signal: controller.signal });
    controller.abort(new DOMException('gave up', 'TimeoutError'));
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('pinned request options', () => {
  const signal = new AbortController().signal;

  it('https to a name: connects to the checked address, names the host in Host and SNI', () => {
    const options = pinnedRequestOptions(
      new URL('https://shop.example:8443/tessera/hooks?token=abc'),
      '93.184.215.14',
      { 'Content-Type': 'application/json' },
      signal,
    );
    expect(options).toMatchObject({
      host: '93.184.215.14',
      port: 8443,
      method: 'POST',
      path: '/tessera/hooks?token=abc',
      servername: 'shop.example',
      headers: { 'Content-Type': 'application/json', Host: 'shop.example:8443' },
    });
  });

  it('default ports; no SNI for an IP literal; http never gets a servername', () => {
    const v6 = pinnedRequestOptions(new URL('https://[2606:4700::1]/h'), '2606:4700::1', {}, signal);
    expect(v6).toMatchObject({ host: '2606:4700::1', port: 443, headers: { Host: '[2606:4700::1]' } });
    expect(v6.servername).toBeUndefined();
    const plain = pinnedRequestOptions(new URL('http://localhost/h'), '127.0.0.1', {}, signal);
    expect(plain).toMatchObject({ host: '127.0.0.1', port: 80, headers: { Host: 'localhost' } });
    expect(plain.servername).toBeUndefined();
  });
});
