// The manage page: the appointment a confirmation code and manage token open, with cancel (after a
// confirmation) and move (pick a new time; the old one is kept unless the new one is booked).

import { api } from "./api.js";
import { $, busy, clear, focusHeading, h } from "./dom.js";
import { describeError, showErrors } from "./forms.js";
import { formatWhen, has, lang, spacedCode, t } from "./i18n.js";
import { addressLines, TimePicker } from "./slots.js";

const params = new URLSearchParams(location.search);
const state = { code: params.get("code") || "", token: params.get("token") || "", appointment: null, site: null };

const path = (suffix = "") => `/v1/appointments/${encodeURIComponent(state.code)}${suffix}`;
const headers = () => ({ "X-Manage-Token": state.token });

function say(kind, message) {
  const alert = $("#manage-alert");
  const status = $("#manage-status");
  alert.hidden = status.hidden = true;
  if (!message) return;
  const box = kind === "error" ? alert : status;
  box.textContent = message;
  box.hidden = false;
  box.focus();
}

async function open() {
  if (!state.code || !state.token) {
    $("#open-form").hidden = false;
    return;
  }
  try {
    state.appointment = await api(path(), { headers: headers() });
  } catch (error) {
    $("#open-form").hidden = false;
    clear($("#appointment"));
    say("error", error.status === 404 ? t("manage.not_found") : describeError(error));
    return;
  }
  $("#open-form").hidden = true;
  try {
    state.site = await api(`/v1/locations/${state.appointment.location_id}`);
  } catch {
    state.site = null; // the address is a courtesy; the appointment itself is what matters
  }
  render();
}

function serviceName(appointment) {
  return has(`service.${appointment.service}`) ? t(`service.${appointment.service}`) : appointment.service_name;
}

function render() {
  const a = state.appointment;
  const site = state.site;
  const changeable = a.status === "booked";
  const icsUrl = `${path("/ics")}?token=${encodeURIComponent(state.token)}`;
  clear(
    $("#appointment"),
    h(
      "article",
      { class: "card", "aria-labelledby": "appointment-when" },
      h("p", {}, h("span", { class: `status status-${a.status}` }, t(`status.${a.status}`))),
      h("p", { class: "eyebrow" }, t("done.code")),
      h("p", { class: "code" }, spacedCode(a.confirmation_code)),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("done.when")),
        h("dd", { class: "when", id: "appointment-when" }, formatWhen(a.start, a.timezone)),
        h("dt", {}, t("done.what")),
        h("dd", {}, `${serviceName(a)} · ${a.provider_name}`),
        h("dt", {}, t("done.where")),
        h(
          "dd",
          {},
          h("strong", {}, a.location_name),
          site ? [h("br"), h("address", {}, addressLines(site).join(", ")), h("a", { href: `tel:${site.phone.replace(/[^\d+]/g, "")}` }, site.phone)] : null,
        ),
      ),
      changeable
        ? h(
            "div",
            { class: "actions" },
            h("a", { class: "button button-secondary", href: icsUrl, download: `appointment-${a.confirmation_code}.ics` }, t("done.calendar")),
            h("button", { type: "button", class: "button button-primary", id: "move-open", onclick: openMove }, t("manage.move")),
            h("button", { type: "button", class: "button button-quiet", id: "cancel-open", onclick: askCancel }, t("manage.cancel")),
          )
        : null,
      h("div", { id: "cancel-confirm" }),
    ),
  );
}

// --- cancel, after an explicit confirmation -------------------------------------------------------

function askCancel() {
  const a = state.appointment;
  const box = h(
    "div",
    { class: "confirm-box", role: "group", "aria-labelledby": "cancel-question" },
    h("h2", { id: "cancel-question", class: "small-heading", tabindex: "-1" }, t("manage.cancel_question", { when: formatWhen(a.start, a.timezone) })),
    h("p", {}, t("manage.cancel_note")),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "button button-danger", id: "cancel-yes", onclick: (e) => cancel(e.currentTarget) }, t("manage.cancel_yes")),
      h("button", { type: "button", class: "button button-secondary", onclick: () => { clear($("#cancel-confirm")); $("#cancel-open").focus(); } }, t("manage.cancel_no")),
    ),
  );
  clear($("#cancel-confirm"), box);
  $("#cancel-question").focus();
}

async function cancel(button) {
  await busy(button, async () => {
    try {
      state.appointment = await api(path("/cancel"), { method: "POST", headers: headers() });
    } catch (error) {
      say("error", describeError(error));
      return;
    }
    $("#move").hidden = true;
    render();
    say("status", t("manage.cancelled"));
  });
}

// --- move: pick a new time at the same site ----------------------------------------------------------

let picker = null;

function openMove() {
  const a = state.appointment;
  $("#move").hidden = false;
  $("#move-alert").hidden = true;
  clear($("#move-confirm"));
  picker = new TimePicker($("#move-picker"), {
    service: a.service,
    location: { id: a.location_id, timezone: a.timezone },
    onPick: (slot) => askMove(slot),
  });
  picker.load();
  focusHeading($("#move"));
}

function askMove(slot) {
  const a = state.appointment;
  clear(
    $("#move-confirm"),
    h(
      "div",
      { class: "confirm-box confirm-move", role: "group", "aria-labelledby": "move-question" },
      h("h3", { id: "move-question", class: "small-heading", tabindex: "-1" }, t("manage.move_question", { from: formatWhen(a.start, a.timezone), to: formatWhen(slot.start, a.timezone) })),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "button button-primary", id: "move-yes", onclick: (e) => move(slot, e.currentTarget) }, t("manage.move_yes")),
        h("button", { type: "button", class: "button button-secondary", onclick: () => clear($("#move-confirm")) }, t("manage.move_other")),
      ),
    ),
  );
  $("#move-question").focus();
}

async function move(slot, button) {
  await busy(button, async () => {
    try {
      state.appointment = await api(path("/reschedule"), {
        method: "POST",
        headers: headers(),
        body: { start: slot.start, provider_id: slot.provider_id, location_id: slot.location_id },
      });
    } catch (error) {
      const alert = $("#move-alert");
      alert.textContent = error.status === 409 && error.slug === "slot-unavailable" ? t("error.slot_taken") : describeError(error);
      alert.hidden = false;
      clear($("#move-confirm"));
      if (error.status === 409) await picker.load(picker.windowStart, picker.selectedDay);
      alert.focus();
      return;
    }
    $("#move").hidden = true;
    render();
    say("status", t("manage.moved", { when: formatWhen(state.appointment.start, state.appointment.timezone) }));
  });
}

$("#move-close").addEventListener("click", () => {
  $("#move").hidden = true;
  $("#move-open")?.focus();
});

$("#open-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  state.code = form.elements.namedItem("code").value.replace(/\s+/g, "").toUpperCase();
  state.token = form.elements.namedItem("token").value.trim();
  if (!state.code || !state.token) {
    const errors = [];
    if (!state.code) errors.push({ field: "code", message: t("error.code") });
    if (!state.token) errors.push({ field: "token", message: t("error.token") });
    showErrors(form, { errors });
    return;
  }
  history.replaceState(null, "", `?${new URLSearchParams({ code: state.code, token: state.token, lang })}`);
  say(null);
  open();
});

open();
