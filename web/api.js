/**
 * The orchestrator's REST API. Every call resolves to `{ ok, status, body, next }` (next: a history's next
 * page, as a path) and never throws on HTTP errors.
 */

const TOKEN_KEY = 'stampede-token';

/** An orchestrator started with --token wants it on every POST and DELETE; kept for this browser tab only. */
export function setAccessToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function accessToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

async function call(method, path, body) {
  const init = { method, headers: { accept: 'application/json' } };
  if (method !== 'GET' && accessToken()) init.headers.authorization = `Bearer ${accessToken()}`;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    const response = await fetch(path, init);
    const text = await response.text();
    return { ok: response.ok, status: response.status, body: parseJson(text), next: nextPageOf(response) };
  } catch (error) {
    return { ok: false, status: 0, body: { error: 'Network Error', message: `orchestrator unreachable: ${error.message}` }, next: null };
  }
}

/** The path of the next page a history answer names (`Link: <…>; rel="next"`); null on the last page. */
function nextPageOf(response) {
  const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '');
  return link ? link[1] : null;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** The OpenAPI document's schema of a named request body (e.g. CreateTest); null when it cannot be read. */
export async function requestBodySchema(name) {
  const response = await call('GET', '/openapi.json');
  return response.ok ? (response.body.components?.schemas?.[name] ?? null) : null;
}

export function createTest(body) {
  return call('POST', '/api/tests', body);
}

export function triggerTest(testId) {
  return call('POST', `/api/tests/${encodeURIComponent(testId)}/trigger`);
}

export function cancelTest(testId) {
  return call('POST', `/api/tests/${encodeURIComponent(testId)}/cancel`);
}

/** PATCH: change a running test's rate, or pause and resume it, on every driver at one instant. */
export function steerTest(testId, change) {
  return call('PATCH', `/api/tests/${encodeURIComponent(testId)}`, change);
}

export function fetchReport(testId) {
  return call('GET', `/api/tests/${encodeURIComponent(testId)}/report`);
}

export function removeDriver(nodeId) {
  return call('DELETE', `/api/drivers/${encodeURIComponent(nodeId)}`);
}

/** A page of a history (GET /api/tests or /api/plans with its query), as a path. */
export function fetchPage(path) {
  return call('GET', path);
}

export function fetchPlan(planId) {
  return call('GET', `/api/plans/${encodeURIComponent(planId)}`);
}

export function cancelPlan(planId) {
  return call('POST', `/api/plans/${encodeURIComponent(planId)}/cancel`);
}
