/* global CSS */
import { setText } from './dom.js';

// A form's field NAME has its error line beside it: `.field-error[data-field="NAME"]`.

/** The error line beside a form's field; null when the form has no field of that name. */
export function fieldErrorOf(form, name) {
  return name ? form.querySelector(`.field-error[data-field="${CSS.escape(name)}"]`) : null;
}

/** Says beside the field what is wrong with it and marks it invalid; false when the form has no such field. */
export function showFieldError(form, name, text) {
  const beside = fieldErrorOf(form, name);
  if (!beside) return false;
  setText(beside, text);
  form.elements.namedItem(name)?.setAttribute('aria-invalid', 'true');
  return true;
}

export function clearFieldErrors(form) {
  for (const error of form.querySelectorAll('.field-error')) setText(error, '');
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** The API says "field: problem"; beside the field itself the name is redundant. */
export function withoutFieldPrefix(message, field) {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}
