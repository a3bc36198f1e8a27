import { accessToken, createTest, requestBodySchema, setAccessToken } from './api.js';
import { byTestId, setText } from './dom.js';
import { clearFieldErrors, fieldErrorOf, showFieldError, withoutFieldPrefix } from './fieldErrors.js';

const DEFAULT_TSUNAMI_DELAY_MS = 20;
/** Form fields that are not test fields, or that need their own reading. */
const OWN_FIELDS = new Set(['drivers', 'trigger', 'token', 'requests', 'target_url', 'scenarios']);

/**
 * The "New test" form. Its rules come from the API's own OpenAPI document (the CreateTest schema, which
 * is the one the API validates with): the load models offered, what each does, which fields are numbers,
 * and which value a model fixes. Every input named after a field of that schema is sent; the API
 * validates, and its 400 answer lists every bad field by its path, each message shown beside its field.
 * Scenarios typed as JSON or YAML replace the load fields: the body is then the scenarios, the drivers and the trigger.
 */
export function setupCreateForm(form, onCreated) {
  const schema = requestBodySchema('CreateTest').then((loaded) => {
    if (loaded) applySchema(form, loaded);
    else showFormMessage(form, "could not read the API's schema (/openapi.json)", 'error');
    return loaded;
  });
  form.elements.namedItem('test_type').addEventListener('change', async () => suggestDelay(form, await schema));
  form.elements.namedItem('token').value = accessToken();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const trigger = event.submitter?.value === 'create-trigger';
    clearMessages(form);
    setAccessToken(form.elements.namedItem('token').value.trim());
    const scenarios = await scenariosOf(form);
    const what = scenarios.value === undefined && !scenarios.problem ? requestsOf(form) : {};
    const problem = scenarios.problem ?? what.problem;
    if (problem) {
      showBeside(form, problem);
      return;
    }
    setBusy(form, true);
    const body = scenarios.value === undefined ? { ...requestBody(form, (await schema) ?? { properties: {} }, trigger), ...what.fields } : scenarioBody(form, scenarios.value, trigger);
    const response = await createTest(body);
    setBusy(form, false);
    if (response.ok) {
      showFormMessage(form, `Created ${response.body.test_id}${trigger ? ' and triggered it' : ''}.`, 'ok');
      onCreated(response.body);
    } else showError(form, response);
  });
}

/** The load models the API knows, each with what it does; every field's description as its input's title. */
function applySchema(form, schema) {
  const typeField = schema.properties.test_type;
  const select = form.elements.namedItem('test_type');
  const chosen = select.value;
  const descriptions = typeField['x-enum-descriptions'] ?? {};
  select.replaceChildren(
    ...typeField.enum.map((name) => {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      option.title = descriptions[name] ?? '';
      return option;
    }),
  );
  if (typeField.enum.includes(chosen)) select.value = chosen;
  for (const [name, property] of Object.entries(schema.properties)) {
    const input = form.elements.namedItem(name);
    if (input && property.description) input.title = property.description;
  }
  select.addEventListener('change', () => showTypeHint(form, descriptions));
  showTypeHint(form, descriptions);
}

function showTypeHint(form, descriptions) {
  setText(byTestId(form, 'test_type-hint'), descriptions[form.elements.namedItem('test_type').value] ?? '');
}

/** A model whose rule fixes the delay (AVALANCHE: 0) gets it; one that needs a gap gets a default one. */
function suggestDelay(form, schema) {
  if (!schema) return;
  const delay = form.elements.namedItem('test_message_delay');
  const fixed = ruleFor(schema, form.elements.namedItem('test_type').value)?.properties?.test_message_delay?.const;
  if (fixed !== undefined) delay.value = String(fixed);
  else if (Number(delay.value) <= 0) delay.value = String(DEFAULT_TSUNAMI_DELAY_MS);
}

/** The `then` of the schema's `if test_type is TYPE` rule. */
function ruleFor(schema, type) {
  return (schema.allOf ?? []).find((rule) => rule.if?.properties?.test_type?.const === type)?.then;
}

function requestBody(form, schema, trigger) {
  const value = (name) => form.elements.namedItem(name)?.value.trim() ?? '';
  const body = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    if (OWN_FIELDS.has(name) || !form.elements.namedItem(name) || value(name) === '') continue;
    body[name] = isNumeric(property) ? numberOrText(value(name)) : value(name);
  }
  const drivers = driversValue(value('drivers'));
  if (drivers !== undefined) body.drivers = drivers;
  if (trigger) body.trigger = true;
  return body;
}

/**
 * What to send: the mix typed as JSON; else one request when a method, header or body is set; else the
 * target URL alone (one GET, as the spec has it).
 */
function requestsOf(form) {
  const value = (name) => form.elements.namedItem(name)?.value.trim() ?? '';
  if (value('requests') !== '') {
    try {
      return { fields: { requests: JSON.parse(value('requests')) } };
    } catch (error) {
      return { problem: { field: 'requests', message: `not valid JSON: ${error.message}` } };
    }
  }
  const url = value('target_url');
  const method = value('method') || 'GET';
  const headers = headerLines(value('headers'));
  if (headers.problem) return { problem: headers.problem };
  const body = form.elements.namedItem('body')?.value ?? '';
  if (method === 'GET' && !headers.value && body === '') return { fields: url === '' ? {} : { target_url: url } };
  const request = { method, url, ...(headers.value ? { headers: headers.value } : {}), ...(body === '' ? {} : { body }) };
  return { fields: { requests: [request] } };
}

/**
 * The scenarios typed as JSON or YAML (the map of named scenarios, as a scenario file's `scenarios`), if
 * any. JSON is read at once; anything else by the yaml package's browser build, loaded only then.
 */
async function scenariosOf(form) {
  const text = form.elements.namedItem('scenarios')?.value.trim() ?? '';
  if (text === '') return {};
  try {
    return { value: JSON.parse(text) };
  } catch {
    // Not JSON: YAML, which is a superset of it.
  }
  try {
    const { parse } = await import('/vendor/yaml/index.js');
    return { value: parse(text) };
  } catch (error) {
    return { problem: { field: 'scenarios', message: `not valid YAML or JSON: ${error.message.split('\n')[0]}` } };
  }
}

/** A test of scenarios: their executors and flows set the load, so none of the form's load fields go with them. */
function scenarioBody(form, scenarios, trigger) {
  const body = { scenarios };
  const drivers = driversValue(form.elements.namedItem('drivers')?.value.trim() ?? '');
  if (drivers !== undefined) body.drivers = drivers;
  if (trigger) body.trigger = true;
  return body;
}

/** `Name: value` a line, as curl's -H. */
function headerLines(text) {
  if (text === '') return {};
  const headers = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { problem: { field: 'headers', message: `"${line}" is not Name: value` } };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { value: headers };
}

function isNumeric(property) {
  if (property.type === 'number' || property.type === 'integer') return true;
  return Array.isArray(property.anyOf) && property.anyOf.every(isNumeric);
}

/** A number as typed becomes a JSON number; anything else goes as text, for the API to name as not a number. */
function numberOrText(text) {
  const number = Number(text);
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && Number.isFinite(number) ? number : text;
}

/** Blank is every alive driver; a number is that many of them; anything else is a list of ids. */
function driversValue(text) {
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(/[\s,]+/).filter(Boolean);
}

function showError(form, response) {
  if (response.status === 401) {
    showFieldError(form, 'token', 'this orchestrator needs its access token');
    return;
  }
  const body = response.body ?? {};
  if (response.status !== 400) {
    showFormMessage(form, body.message ?? `request failed (HTTP ${response.status})`, 'error');
    return;
  }
  const problems = body.errors ?? [{ field: body.field, message: body.message }];
  const elsewhere = problems.filter((problem) => !showBeside(form, problem));
  if (elsewhere.length > 0) showFormMessage(form, elsewhere.map((p) => p.message ?? 'invalid').join('; '), 'error');
}

/** The single request built from the form's fields: its problems belong beside the field that set them. */
const FIELD_OF_REQUEST_PART = { url: 'target_url', method: 'method', headers: 'headers', body: 'body' };

/** The form field a problem belongs to: `drivers[0]` to drivers, `requests[0].headers.x` to headers unless a mix was typed. */
function formFieldOf(form, field) {
  const path = String(field ?? '');
  const single = /^requests\[0\]\.(\w+)/.exec(path);
  if (single && (form.elements.namedItem('requests')?.value.trim() ?? '') === '') return FIELD_OF_REQUEST_PART[single[1]] ?? 'requests';
  return path.split(/[.[]/)[0];
}

/** Shows a problem beside the form field its path starts with; false when the form has no such field. */
function showBeside(form, { field, message }) {
  const name = formFieldOf(form, field);
  const beside = fieldErrorOf(form, name);
  if (!beside) return false;
  const text = withinField(name, String(field ?? name), withoutFieldPrefix(message ?? 'invalid', String(field ?? name)));
  showFieldError(form, name, beside.textContent ? `${beside.textContent}; ${text}` : text);
  // The scenarios' field folds away: its problems must not be hidden in it.
  if (name === 'scenarios') {
    const details = beside.closest('details');
    if (details) details.open = true;
  }
  return true;
}

/** Beside the scenarios, a problem keeps where in them it is: `shoppers.flow[0].url: must be …`. */
function withinField(name, field, text) {
  if (name !== 'scenarios' || !field.startsWith('scenarios') || field === 'scenarios') return text;
  return `${field.slice('scenarios'.length).replace(/^\./, '')}: ${text}`;
}

function clearMessages(form) {
  clearFieldErrors(form);
  showFormMessage(form, '', 'ok');
}

function showFormMessage(form, text, kind) {
  const message = byTestId(form, 'form-message');
  setText(message, text);
  message.setAttribute('data-kind', kind);
}

function setBusy(form, busy) {
  for (const button of form.querySelectorAll('button')) button.disabled = busy;
}
