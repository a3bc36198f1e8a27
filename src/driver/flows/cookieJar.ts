import { CookieJar } from 'tough-cookie';

/**
 * One virtual user's cookies (RFC 6265, by tough-cookie): path and domain matching, Max-Age / Expires,
 * host-only cookies (on an IP too: 127.0.0.1). We are the HTTP client, so HttpOnly cookies are sent.
 * Secure cookies are stored from and sent over https only, loopback included (tough-cookie would treat
 * http://localhost as secure by default). A Set-Cookie that does not parse (no `name=`, control characters),
 * whose Domain does not match the host or is a public suffix, or a `__Secure-`/`__Host-` cookie
 * breaking its prefix's rules is ignored: nothing here throws.
 *
 * Synchronous (tough-cookie's memory store); a jar that never stored a cookie answers without calling it.
 */
export class VuCookieJar {
  private readonly jar = new CookieJar(undefined, {
    // RFC 6265 §5.2: a cookie without `name=` is ignored (loose mode would keep it as a nameless cookie).
    looseMode: false,
    allowSecureOnLocal: false,
  });
  private empty = true;

  /** Whether any cookie was ever stored: until then a request needs no cookie header (and no URL for it). */
  get holdsCookies(): boolean {
    return !this.empty;
  }

  /** Keeps what the response from `url` set; `setCookie` as the response parser gives the header (one value or many). */
  store(url: string, setCookie: string | string[] | undefined): void {
    if (setCookie === undefined) return;
    if (typeof setCookie === 'string') this.storeOne(url, setCookie);
    else for (const value of setCookie) this.storeOne(url, value);
  }

  /** The `cookie` header for a request to `url`; undefined when no cookie applies. */
  cookieHeader(url: string): string | undefined {
    if (this.empty) return undefined;
    try {
      const header = this.jar.getCookieStringSync(url);
      return header === '' ? undefined : header;
    } catch {
      return undefined; // not a URL: no cookie applies
    }
  }

  private storeOne(url: string, value: string): void {
    try {
      if (this.jar.setCookieSync(value, url, { ignoreError: true }) !== undefined) this.empty = false;
    } catch {
      // not a URL: ignoreError covers the cookie, not the arguments
    }
  }
}
