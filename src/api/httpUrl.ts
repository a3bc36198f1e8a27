import { z } from 'zod';

const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4 = `${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}`;
const H16 = '[0-9A-Fa-f]{1,4}';
const IPV6 = [
  `(?:${H16}:){7}${H16}`,
  `(?:${H16}:){1,7}:`,
  `(?:${H16}:){1,6}:${H16}`,
  `(?:${H16}:){1,5}(?::${H16}){1,2}`,
  `(?:${H16}:){1,4}(?::${H16}){1,3}`,
  `(?:${H16}:){1,3}(?::${H16}){1,4}`,
  `(?:${H16}:){1,2}(?::${H16}){1,5}`,
  `${H16}:(?::${H16}){1,6}`,
  `:(?:(?::${H16}){1,7}|:)`,
].join('|');
/**
 * Hyphens only between letters or digits (so no `xn--` label, whose punycode the URL parser would
 * check), and a last label that starts with a letter (a numeric one would be read as an IPv4 address).
 */
const LABEL = '[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*';
const LAST_LABEL = '[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*';
const HOST = `(?:${IPV4}|\\[(?:${IPV6})\\]|(?:${LABEL}\\.)*${LAST_LABEL})`;
const PORT = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)';
/** A character of a path or query that needs no percent-encoding (`{` and `}` are not among them). */
export const PATH_CHAR = "[A-Za-z0-9._~!$&'()*+,;=:@%/-]";

/**
 * An http(s) URL as a regular expression, so that the OpenAPI document states exactly what is accepted:
 * every string it matches is a URL the WHATWG parser (undici's) takes (a property test checks this),
 * and a schema-driven client can generate one. Hosts: names, IPv4, IPv6 in brackets; no user info,
 * no fragment, no characters that need percent-encoding.
 */
/**
 * A whole-string pattern that every regex engine reads alike: in Python's (which Schemathesis and
 * Hypothesis use to generate examples) `$` also matches before a final newline; `$(?!\n)` does not.
 */
export function wholeString(source: string): RegExp {
  return new RegExp(`^(?:${source})$(?!\\n)`);
}

/** Scheme, host and port, as source for larger patterns. */
export const HTTP_ORIGIN_PATTERN = `https?://${HOST}(?::${PORT})?`;

export const HTTP_URL_PATTERN = wholeString(`${HTTP_ORIGIN_PATTERN}(?:/${PATH_CHAR}*)?(?:\\?(?:${PATH_CHAR}|\\?)*)?`);

export const URL_MAX_LENGTH = 2048;

export const httpUrl = z
  .string({ error: 'must be an http(s) URL' })
  .max(URL_MAX_LENGTH, `must be at most ${URL_MAX_LENGTH} characters`)
  .regex(HTTP_URL_PATTERN, 'must be an http(s) URL');
