import type { HttpMethod, RequestSpec } from '../../protocol/index.js';
import { hasTemplates, type TemplateMode } from '../../protocol/templates.js';
import { asIs, compileTemplate, type RenderedText, type TemplateContext } from './templates.js';
import { WeightedMix } from './weightedMix.js';

/** One request ready for the wire. A request without templates is one object, built once and reused. */
export type PreparedRequest = {
  /** which of the test's requests: whose figures it counts in */
  readonly index: number;
  /** which connection pool (HttpClient's origins, same order) */
  readonly originIndex: number;
  readonly path: string;
  readonly method: HttpMethod;
  /** name, value, name, value… */
  readonly headers: string[] | undefined;
  /** A fixed body is bytes made once; a templated one stays a string, encoded into the request's one buffer as it is written. */
  readonly body: Buffer | string | undefined;
  /** statuses that count as success; undefined: every status below 400 */
  readonly expect: ReadonlySet<number> | undefined;
};

/**
 * The request number on this driver, from 1, shared by the warm-up and the workload so `{{seq}}` never repeats.
 * A load worker counts its own lane of it: `first`, `first + step`, …
 */
export class RequestSequence {
  private value: number;

  constructor(
    first = 1,
    private readonly step = 1,
  ) {
    this.value = first - step;
  }

  next(): number {
    this.value += this.step;
    return this.value;
  }
}

/**
 * Which requests of the plan this iterator yields: request i goes to lane i mod `count`. One lane of
 * one is the whole plan.
 */
export type Lane = { index: number; count: number };

export type RequestSource = { driverId: string; testId: string; sequence: RequestSequence; lane?: Lane };

/**
 * Yields the test's requests in their weighted mix (autocannon's requestIterator, vegeta's Targeter):
 * each call prepares the next request, rendering templates only where a request has them.
 */
export class RequestIterator {
  /** Every origin the requests go to, once each, in first-use order. */
  readonly origins: string[];
  private readonly templates: RequestTemplate[];
  private readonly mix: WeightedMix | undefined;
  /** Picks of the mix that belong to other lanes, skipped before the next own pick. */
  private skip: number;
  private readonly laneCount: number;

  constructor(
    specs: readonly RequestSpec[],
    private readonly source: RequestSource,
  ) {
    if (specs.length === 0) throw new Error('a test needs at least one request');
    this.origins = [...new Set(specs.map((s) => originOf(s.url)))];
    this.templates = specs.map((spec, index) => new RequestTemplate(spec, index, this.origins.indexOf(originOf(spec.url))));
    this.mix = specs.length > 1 ? new WeightedMix(specs.map((s) => s.weight)) : undefined;
    this.skip = source.lane?.index ?? 0;
    this.laneCount = source.lane?.count ?? 1;
  }

  /** Request i of a lane is request `lane.index + i · lane.count` of the whole plan: the same choice, the same seq. */
  next(): PreparedRequest {
    const template = this.templates[this.mix ? this.nextPick(this.mix) : 0]!;
    const seq = this.source.sequence.next();
    return template.fixed ?? template.render({ seq, driverId: this.source.driverId, testId: this.source.testId });
  }


  private nextPick(mix: WeightedMix): number {
    for (let skipped = 0; skipped < this.skip; skipped++) mix.next();
    this.skip = this.laneCount - 1;
    return mix.next();
  }
}

/** The origin of a URL whose templates all follow it. */
export function originOf(url: string): string {
  return new URL(fillTemplates(url)).origin;
}

/** Parsing a URL only needs its templates to be some value. */
function fillTemplates(url: string): string {
  return url.replace(/\{\{[^{}]*\}\}/g, '0');
}

/** One request compiled once: fixed when it has no template, else rendered per use from its context. */
export class RequestTemplate {
  readonly fixed: PreparedRequest | undefined;
  private readonly path: RenderedText;
  private readonly headers: [string, RenderedText][] | undefined;
  private readonly body: RenderedText | undefined;
  private readonly expect: ReadonlySet<number> | undefined;

  constructor(
    private readonly spec: Pick<RequestSpec, 'method' | 'url' | 'headers' | 'body' | 'expect_status'>,
    private readonly index: number,
    private readonly originIndex: number,
    mode: TemplateMode = 'request',
  ) {
    this.path = compileTemplate(pathOf(spec.url), encodeURIComponent, mode);
    this.headers = spec.headers && Object.entries(spec.headers).map(([name, value]) => [name, compileTemplate(value, asIs, mode)]);
    this.body = spec.body === undefined ? undefined : compileTemplate(spec.body, asIs, mode);
    this.expect = spec.expect_status && new Set(spec.expect_status);
    const templated = hasTemplates(spec.url) || hasTemplates(spec.body ?? '') || Object.values(spec.headers ?? {}).some(hasTemplates);
    const fixed = templated ? undefined : this.render({ seq: 0, driverId: '', testId: '' });
    this.fixed = fixed && { ...fixed, body: fixed.body === undefined ? undefined : Buffer.from(fixed.body) };
  }

  render(context: TemplateContext): PreparedRequest {
    return {
      index: this.index,
      originIndex: this.originIndex,
      path: this.path(context),
      method: this.spec.method,
      headers: this.headers && renderHeaders(this.headers, context),
      body: this.body?.(context),
      expect: this.expect,
    };
  }
}

function renderHeaders(headers: readonly [string, RenderedText][], context: TemplateContext): string[] {
  const flat: string[] = [];
  for (const [name, value] of headers) flat.push(name, value(context));
  return flat;
}

/** Everything after the origin, as written (the origin has no template: the protocol checks it). */
function pathOf(url: string): string {
  const rest = url.replace(/^https?:\/\/[^/?#]+/i, '');
  const withoutFragment = rest.split('#')[0]!;
  return withoutFragment.startsWith('/') ? withoutFragment : `/${withoutFragment}`;
}
