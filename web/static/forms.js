// Errors from the API shown beside the field that caused them, in plain words, with
// aria-invalid and aria-describedby; the values typed are never touched.

import { $, $$, h } from "./dom.js";
import { has, t } from "./i18n.js";

// Plain words for a field error in the page's language; the API's own message when we have none.
export function messageFor(field, apiMessage) {
  if (has(`error.${field}`)) return t(`error.${field}`);
  if (field.startsWith("answers.")) {
    return /required/i.test(apiMessage) ? t("error.answer_required") : t("error.answer_invalid");
  }
  return apiMessage;
}

export function describeError(error) {
  if (error.status === 0) return t("error.network");
  if (error.status >= 500) return t("error.server");
  return error.problem?.detail || error.message || t("error.server");
}

function controlsOf(target) {
  if (target.matches("input, select, textarea")) return [target];
  return $$("input, select, textarea", target);
}

export function clearErrors(form) {
  for (const element of $$(".field-error", form)) element.remove();
  for (const element of $$("[data-error-for]", form)) {
    element.removeAttribute("aria-invalid");
    const ids = (element.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter((id) => id && id !== element.dataset.errorFor);
    if (ids.length) element.setAttribute("aria-describedby", ids.join(" "));
    else element.removeAttribute("aria-describedby");
    delete element.dataset.errorFor;
  }
  for (const element of $$(".has-error", form)) element.classList.remove("has-error");
  const alert = $(".form-alert", form);
  if (alert) {
    alert.hidden = true;
    alert.replaceChildren();
  }
}

function markInvalid(element, errorId, { invalid = true } = {}) {
  if (invalid) element.setAttribute("aria-invalid", "true");
  const ids = (element.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  element.setAttribute("aria-describedby", [...ids, errorId].join(" "));
  element.dataset.errorFor = errorId;
}

// Returns true when at least one error was placed beside a field (then focus is on the first).
export function showErrors(form, error, { fieldMap = {}, summary = true } = {}) {
  clearErrors(form);
  const loose = [];
  let first = null;
  for (const { field, message } of error.errors || []) {
    const name = fieldMap[field] || field;
    const target =
      form.querySelector(`[data-field="${CSS.escape(name)}"]`) ||
      form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!target) {
      loose.push(messageFor(field, message));
      continue;
    }
    const wrapper = target.closest("[data-field]") || target.parentElement;
    if (wrapper.querySelector(".field-error")) continue; // one message per field is enough
    const errorId = `${(target.id || name).replace(/[^\w-]/g, "-")}-error`;
    const text = h("p", { class: "field-error", id: errorId }, messageFor(field, message));
    wrapper.classList.add("has-error");
    const legend = wrapper.matches("fieldset") ? $("legend", wrapper) : null;
    if (legend) legend.after(text);
    else wrapper.append(text);
    // A group is described by the error; its controls are the ones marked invalid.
    if (wrapper.matches("fieldset")) markInvalid(wrapper, errorId, { invalid: false });
    for (const control of controlsOf(target)) {
      markInvalid(control, errorId);
      first ??= control;
    }
  }
  const alert = $(".form-alert", form);
  if (alert && (summary || loose.length)) {
    const lines = loose.length ? loose : [first ? t("error.check_fields") : describeError(error)];
    alert.replaceChildren(...lines.map((line) => h("p", {}, line)));
    alert.hidden = false;
  }
  if (first) first.focus();
  return Boolean(first);
}

export function showAlert(form, message) {
  clearErrors(form);
  const alert = $(".form-alert", form);
  if (!alert) return;
  alert.replaceChildren(h("p", {}, message));
  alert.hidden = false;
}

// A labelled input inside its `.field` wrapper; `name` is the API's field path, so an error for
// `patient.email` finds the email input without a lookup table.
export function field({ name, label, type = "text", autocomplete, hint, value = "", required = false, inputmode }) {
  const id = `f-${name.replace(/[^\w-]/g, "-")}-${Math.random().toString(36).slice(2, 7)}`;
  const hintId = hint ? `${id}-hint` : null;
  return h(
    "div",
    { class: "field", "data-field": name },
    h("label", { for: id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("input", {
      id,
      name,
      type,
      value,
      autocomplete,
      inputmode,
      "aria-describedby": hintId,
      "aria-required": required ? "true" : null,
    }),
  );
}

export function formValues(form, names) {
  return Object.fromEntries(names.map((name) => [name, (form.elements.namedItem(name)?.value || "").trim()]));
}
