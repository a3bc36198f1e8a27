import type { HttpClientOptions, RequestOutcome } from '../../src/driver/requestOutcome.js';
import { HttpClient } from '../../src/driver/http1/httpClient.js';
import { RequestIterator, RequestSequence } from '../../src/driver/requests/requestIterator.js';

/** The driver's HTTP side for one GET of `url`, as a test without `requests` gets it. */
export function oneGet(url: string, options: HttpClientOptions): { client: HttpClient; requests: RequestIterator; get: () => Promise<RequestOutcome> } {
  const requests = new RequestIterator([{ method: 'GET', url, weight: 1 }], { driverId: 'driver-test', testId: 'test-test', sequence: new RequestSequence() });
  const client = new HttpClient(requests.origins, options);
  return { client, requests, get: () => client.send(requests.next()) };
}
