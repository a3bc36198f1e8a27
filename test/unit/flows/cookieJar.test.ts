import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VuCookieJar } from '../../../src/driver/flows/cookieJar.js';

const ORIGIN = 'http://127.0.0.1:8080';

describe('VuCookieJar', () => {
  it('has no cookie header before anything was stored', () => {
    const jar = new VuCookieJar();
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), undefined);
    jar.store(`${ORIGIN}/`, undefined);
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), undefined);
  });

  it('sends a cookie back to the same origin and path, host-only on an IP, any port', () => {
    const jar = new VuCookieJar();
    jar.store(`${ORIGIN}/login`, 'session=abc123; Path=/');
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), 'session=abc123');
    assert.equal(jar.cookieHeader(`${ORIGIN}/cart/items?x=1`), 'session=abc123');
    assert.equal(jar.cookieHeader('http://127.0.0.1:9090/'), 'session=abc123', 'cookies are not port-specific (RFC 6265 §8.5)');
    assert.equal(jar.cookieHeader('http://127.0.0.2:8080/'), undefined);
  });

  it('works for localhost', () => {
    const jar = new VuCookieJar();
    jar.store('http://localhost:3000/', 'a=1; Path=/');
    jar.store('http://localhost:3000/', 'b=2; Domain=localhost; Path=/');
    assert.equal(jar.cookieHeader('http://localhost:3000/page'), 'a=1; b=2');
  });

  it('replaces a cookie of the same name, domain and path', () => {
    const jar = new VuCookieJar();
    jar.store(`${ORIGIN}/`, 'token=old; Path=/');
    jar.store(`${ORIGIN}/`, 'token=new; Path=/');
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), 'token=new');
  });

  it('scopes cookies by path', () => {
    const jar = new VuCookieJar();
    jar.store(`${ORIGIN}/api/login`, 'api=1; Path=/api');
    jar.store(`${ORIGIN}/`, 'root=1; Path=/');
    assert.equal(jar.cookieHeader(`${ORIGIN}/other`), 'root=1');
    assert.equal(jar.cookieHeader(`${ORIGIN}/apix`), 'root=1', '/api does not match /apix');
    assert.equal(jar.cookieHeader(`${ORIGIN}/api`), 'api=1; root=1');
    assert.equal(jar.cookieHeader(`${ORIGIN}/api/users/7`), 'api=1; root=1', 'longer paths first');
  });

  it('defaults the path to the directory of the request path', () => {
    const jar = new VuCookieJar();
    jar.store(`${ORIGIN}/shop/checkout`, 'step=2');
    assert.equal(jar.cookieHeader(`${ORIGIN}/shop/pay`), 'step=2');
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), undefined);
  });

  it('deletes a cookie on Max-Age=0 and never sends one that has expired', () => {
    const jar = new VuCookieJar();
    jar.store(`${ORIGIN}/`, ['a=1; Path=/', 'b=2; Path=/', 'c=3; Path=/; Max-Age=3600', 'd=4; Path=/; Expires=Wed, 01 Jan 2100 00:00:00 GMT']);
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), 'a=1; b=2; c=3; d=4');
    jar.store(`${ORIGIN}/`, 'a=; Path=/; Max-Age=0');
    jar.store(`${ORIGIN}/`, 'b=2; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    jar.store(`${ORIGIN}/`, 'e=5; Path=/; Expires=Sat, 01 Jan 2000 00:00:00 GMT');
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), 'c=3; d=4');
  });

  it('sends HttpOnly cookies: this is the HTTP client', () => {
    const jar = new VuCookieJar();
    jar.store(`${ORIGIN}/`, 'sid=x; Path=/; HttpOnly; SameSite=Strict');
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), 'sid=x');
  });

  it('sends Secure cookies over https only, loopback included', () => {
    const jar = new VuCookieJar();
    jar.store('https://shop.example.com/', 'secure=1; Path=/; Secure');
    jar.store('https://shop.example.com/', 'plain=1; Path=/');
    assert.equal(jar.cookieHeader('https://shop.example.com/'), 'secure=1; plain=1');
    assert.equal(jar.cookieHeader('http://shop.example.com/'), 'plain=1');

    const local = new VuCookieJar();
    local.store('https://127.0.0.1:8443/', 'secure=1; Path=/; Secure');
    assert.equal(local.cookieHeader('http://127.0.0.1:8443/'), undefined);
    assert.equal(local.cookieHeader('https://127.0.0.1:8443/'), 'secure=1');
    local.store(`${ORIGIN}/`, 'fromHttp=1; Path=/; Secure');
    assert.equal(local.cookieHeader('https://127.0.0.1:8443/'), 'secure=1', 'a Secure cookie set over http is not stored');
  });

  it('keeps each virtual user its own cookies', () => {
    const alice = new VuCookieJar();
    const bob = new VuCookieJar();
    alice.store(`${ORIGIN}/`, 'user=alice; Path=/');
    assert.equal(alice.cookieHeader(`${ORIGIN}/`), 'user=alice');
    assert.equal(bob.cookieHeader(`${ORIGIN}/`), undefined);
    bob.store(`${ORIGIN}/`, 'user=bob; Path=/');
    assert.equal(alice.cookieHeader(`${ORIGIN}/`), 'user=alice');
    assert.equal(bob.cookieHeader(`${ORIGIN}/`), 'user=bob');
  });

  it('ignores a malformed Set-Cookie without throwing', () => {
    const jar = new VuCookieJar();
    for (const bad of ['', '   ', 'novalue', '=nameless', 'ctl=a\u0001b', ';;;', 'x=1; Domain=other.example', 'x=1; Domain=com', '__Host-x=1; Path=/']) {
      assert.doesNotThrow(() => jar.store(`${ORIGIN}/`, bad), bad);
    }
    assert.doesNotThrow(() => jar.store('not a url', 'a=1'));
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), undefined);
    jar.store(`${ORIGIN}/`, ['junk', 'good=1; Path=/', '=alsoNameless; Path=/']);
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), 'good=1');
    assert.equal(jar.cookieHeader('not a url'), undefined);
  });

  it('does not send a cookie to another host, but does to subdomains of its Domain', () => {
    const jar = new VuCookieJar();
    jar.store('http://www.example.com/', 'host=1; Path=/');
    jar.store('http://www.example.com/', 'wide=1; Domain=example.com; Path=/');
    assert.equal(jar.cookieHeader('http://www.example.com/'), 'host=1; wide=1');
    assert.equal(jar.cookieHeader('http://api.example.com/'), 'wide=1');
    assert.equal(jar.cookieHeader('http://example.org/'), undefined);
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), undefined);
  });

  it('stores every value of several Set-Cookie headers', () => {
    const jar = new VuCookieJar();
    jar.store(`${ORIGIN}/`, ['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3; Path=/; Max-Age=60']);
    assert.equal(jar.cookieHeader(`${ORIGIN}/`), 'a=1; b=2; c=3');
  });
});
