import { performance } from 'node:perf_hooks';
import { RequestIterator, RequestSequence } from '../src/driver/requests/requestIterator.js';
import { requestList } from '../src/protocol/index.js';
import { fixed, markdownTable, printSection } from './support/table.js';

/** What preparing one request costs on the driver's hot path, by kind of request (in-process, no I/O). */
const PREPARED = 2_000_000;
const ROUNDS = 5;
const url = 'http://127.0.0.1:8080/ping';

const shapes: { shape: string; requests: unknown[] }[] = [
  { shape: 'one GET, no template', requests: [{ url }] },
  { shape: 'one GET, {{seq}} in the query', requests: [{ url: `${url}?n={{seq}}` }] },
  { shape: 'POST, body with {{uuid}} {{seq}} {{now_ms}}', requests: [{ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{"id":"{{uuid}}","n":{{seq}},"at":{{now_ms}}}' }] },
  {
    shape: '3-request mix (2:1:1), one templated body',
    requests: [
      { name: 'get', url, weight: 2 },
      { name: 'post', method: 'POST', url, body: '{"id":"{{uuid}}","n":{{seq}}}', weight: 1 },
      { name: 'query', url: `${url}?q={{random_int:1:1000}}`, weight: 1 },
    ],
  },
];

function nanosPerRequest(requests: unknown[]): number {
  const iterator = new RequestIterator(requestList.parse(requests), { driverId: 'driver-bench', testId: 'test-bench', sequence: new RequestSequence() });
  let keep = 0;
  const started = performance.now();
  for (let i = 0; i < PREPARED; i++) keep += iterator.next().path.length;
  const elapsed = performance.now() - started;
  if (keep === 0) throw new Error('nothing prepared');
  return (elapsed * 1e6) / PREPARED;
}

const rows = shapes.map(({ shape, requests }) => {
  const runs = Array.from({ length: ROUNDS }, () => nanosPerRequest(requests)).sort((a, b) => a - b);
  return [shape, fixed(runs[Math.floor(ROUNDS / 2)]!, 0), fixed(runs[0]!, 0)];
});
printSection(`Preparing a request (RequestIterator.next), ${PREPARED.toLocaleString('en')} per round, ${ROUNDS} rounds`, markdownTable(['requests', 'ns per request (median)', 'min'], rows), [
  'In-process, no I/O: the cost templates and the weighted mix add per request before it is sent.',
]);
