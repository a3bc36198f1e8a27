/* global CSS */
import { accessToken, createTest, setAccessToken } from './api.js';
import { byTestId, setText } from './dom.js';

const DEFAULT_TSUNAMI_DELAY_MS = 20;
const OPTIONAL_FIELDS = ['test_message_delay', 'message_count_per_driver', 'throughput_per_driver', 'warmup_count_per_driver', 'target_url'];

/**
 * The "New test" form. Values go to the API as typed: the API validates, and its 400 answer lists
 * every bad field by its path; each message is shown beside its own field, all at once.
 */
export function setupCreateForm(form, onCreated) {
  form.elements.namedItem('test_type').addEventListener('change', () => suggestDelay(form));
  form.elements.namedItem('token').value = accessToken();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const trigger = event.submitter?.value === 'create-trigger';
    clearMessages(form);
    setAccessToken(form.elements.namedItem('token').value.trim());
    setBusy(form, true);
    const response = await createTest(requestBody(form, trigger));
    setBusy(form, false);
    if (response.ok) {
      showFormMessage(form, `Created ${response.body.test_id}${trigger ? ' and triggered it' : ''}.`, 'ok');
      onCreated(response.body);
    } else showError(form, response);
  });
}

/** AVALANCHE needs a delay of 0 and TSUNAMI one above 0: switching type keeps a valid pairing. */
function suggestDelay(form) {
  const delay = form.elements.namedItem('test_message_delay');
  const avalanche = form.elements.namedItem('test_type').value === 'AVALANCHE';
  if (avalanche) delay.value = '0';
  else if (Number(delay.value) <= 0) delay.value = String(DEFAULT_TSUNAMI_DELAY_MS);
}

function requestBody(form, trigger) {
  const value = (name) => form.elements.namedItem(name).value.trim();
  const body = { test_type: value('test_type') };
  for (const name of OPTIONAL_FIELDS) if (value(name) !== '') body[name] = value(name);
  const drivers = driversValue(value('drivers'));
  if (drivers !== undefined) body.drivers = drivers;
  if (trigger) body.trigger = true;
  return body;
}

/** Blank is every alive driver; a number is that many of them; anything else is a list of ids. */
function driversValue(text) {
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(/[\s,]+/).filter(Boolean);
}

function showError(form, response) {
  if (response.status === 401) {
    setText(byTestId(form, 'error-token'), 'this orchestrator needs its access token');
    form.elements.namedItem('token').setAttribute('aria-invalid', 'true');
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

/** Shows a problem beside the form field its path starts with (`drivers.0` belongs to drivers); false when the form has no such field. */
function showBeside(form, { field, message }) {
  const name = String(field ?? '').split('.')[0];
  const beside = name ? form.querySelector(`.field-error[data-field="${CSS.escape(name)}"]`) : null;
  if (!beside) return false;
  const text = withoutFieldPrefix(message ?? 'invalid', name);
  setText(beside, beside.textContent ? `${beside.textContent}; ${text}` : text);
  form.elements.namedItem(name)?.setAttribute('aria-invalid', 'true');
  return true;
}

/** The API says "field: problem"; beside the field itself the name is redundant. */
function withoutFieldPrefix(message, field) {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}

function clearMessages(form) {
  for (const error of form.querySelectorAll('.field-error')) setText(error, '');
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
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
