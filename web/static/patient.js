// The patient booking page (and, with data-embed, the partner widget's iframe page):
// questions -> recommendation -> where -> nearest sites -> day and time (held) -> details -> booked.
// Every decision is the API's; this file only moves between steps and shows what it answers.

import { api, configureApi, idempotentPost } from "./api.js";
import { $, $$, busy, clear, focusHeading, h } from "./dom.js";
import { clearErrors, describeError, formValues, showAlert, showErrors } from "./forms.js";
import { formatCountdown, formatWhen, lang, spacedCode, t } from "./i18n.js";
import { addressLines, currentPosition, findSites, holdSlot, releaseHold, siteCard, TimePicker } from "./slots.js";
import { assess, collectAnswers, isEmergency, loadQuestionnaire, renderAssessment, renderQuestionnaire, serviceNames } from "./triage.js";

const root = $("#flow");
const embedded = root.dataset.embed === "true";
configureApi({ partnerKey: root.dataset.partnerKey || "" });

const STEPS = ["questions", "result", "sites", "times", "details", "done"];
const state = {
  questionnaire: null,
  assessment: null,
  names: {},
  near: "",
  site: null, // a search result: {location, distance_miles}
  hold: null,
  timer: null,
};
const PATIENT_FIELDS = ["patient.given_name", "patient.family_name", "patient.birth_date", "patient.phone", "patient.email"];

function goTo(step) {
  for (const name of STEPS) $(`#step-${name}`).hidden = name !== step;
  const index = STEPS.indexOf(step);
  $$(".progress li").forEach((item, i) => {
    item.classList.toggle("done", i < index);
    if (i === index) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
  });
  focusHeading($(`#step-${step}`));
  postHeight();
}

// --- 1. questions -------------------------------------------------------------------------------

async function start() {
  try {
    const [questionnaire, names] = await Promise.all([loadQuestionnaire(), serviceNames()]);
    state.questionnaire = questionnaire;
    state.names = names;
    $("#triage-notice").textContent = questionnaire.notice;
    renderQuestionnaire($("#questions"), questionnaire, { compact: embedded });
    $("#triage-submit").disabled = false;
  } catch (error) {
    clear($("#questions"), h("p", { class: "alert", role: "alert" }, describeError(error)));
  }
  postHeight();
}

$("#triage-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const answers = collectAnswers(form, state.questionnaire);
  await busy($("#triage-submit"), async () => {
    try {
      state.assessment = await assess(answers);
    } catch (error) {
      showErrors(form, error);
      postHeight();
      return;
    }
    clearErrors(form);
    renderAssessment($("#assessment"), state.assessment, state.names);
    // On a possible emergency there is nothing to book: the location search is not even shown.
    $("#where").hidden = isEmergency(state.assessment);
    $("#step-result").classList.toggle("is-emergency", isEmergency(state.assessment));
    goTo("result");
  });
});

$("#back-to-questions").addEventListener("click", () => goTo("questions"));

// --- 2. where -----------------------------------------------------------------------------------

async function searchSites(near, button) {
  const form = $("#near-form");
  await busy(button, async () => {
    let results;
    try {
      results = await findSites({ near, service: state.assessment.recommended_service });
    } catch (error) {
      showErrors(form, error);
      postHeight();
      return;
    }
    clearErrors(form);
    state.near = near;
    renderSites(results);
    goTo("sites");
  });
}

$("#near-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const near = event.currentTarget.elements.namedItem("near").value.trim();
  if (!near) {
    showErrors(event.currentTarget, { errors: [{ field: "near", message: t("error.near") }] });
    return;
  }
  searchSites(near, $("#near-submit"));
});

$("#use-location").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  const form = $("#near-form");
  await busy(button, async () => {
    let near;
    try {
      near = await currentPosition();
    } catch (error) {
      showAlert(form, t(error.message));
      postHeight();
      return;
    }
    await searchSites(near, button);
  });
});

// --- 3. sites -----------------------------------------------------------------------------------

function renderSites(results) {
  const list = $("#site-list");
  const service = state.assessment.recommended_service;
  $("#sites-summary").textContent = results.length
    ? t("sites.summary", { service: state.names[service] || service })
    : "";
  if (!results.length) {
    clear(list, h("p", { class: "empty" }, t("sites.none")));
    return;
  }
  clear(
    list,
    results.map((result) =>
      siteCard(result, {
        service,
        onChoose: (chosen) => openTimes(chosen),
        // A time still free is held at once; one just taken opens its day to pick another.
        onPickTime: (chosen, slot, button, start) => (slot ? pickSlot(chosen, slot, button) : openTimes(chosen, start)),
      }),
    ),
  );
  postHeight();
}

$("#back-to-result").addEventListener("click", () => goTo("result"));

// --- 4. day and time ----------------------------------------------------------------------------

let picker = null;

async function openTimes(result, onStart = null) {
  state.site = result;
  const location = result.location;
  clear(
    $("#times-site"),
    h("p", { class: "site-name" }, location.name),
    h("p", { class: "muted" }, addressLines(location).join(" · ")),
  );
  $("#times-alert").hidden = true;
  goTo("times");
  picker = new TimePicker($("#time-picker"), {
    service: state.assessment.recommended_service,
    location,
    onPick: (slot, button) => pickSlot(result, slot, button),
  });
  const day = onStart ? onStart.slice(0, 10) : null;
  await picker.load(undefined, day);
  postHeight();
}

async function pickSlot(result, slot, button) {
  state.site = result;
  await busy(button, async () => {
    await releaseHold(state.hold);
    state.hold = null;
    try {
      state.hold = await holdSlot(slot);
    } catch (error) {
      // Somebody else was faster: say so where the times are, with fresh times to pick from.
      if ($("#step-times").hidden) await openTimes(result, slot.start);
      const alert = $("#times-alert");
      alert.replaceChildren(
        h("p", {}, error.status === 409 ? t("error.slot_taken") : describeError(error)),
      );
      alert.hidden = false;
      if (picker && error.status === 409) await picker.load(picker.windowStart, picker.selectedDay);
      alert.focus();
      postHeight();
      return;
    }
    showDetails();
  });
}

$("#back-to-sites").addEventListener("click", () => goTo("sites"));

// --- 5. details, with the hold's countdown -------------------------------------------------------

function showDetails() {
  const location = state.site.location;
  clear(
    $("#hold-what"),
    h("p", { class: "hold-when" }, formatWhen(state.hold.start, location.timezone)),
    h("p", {}, state.names[state.hold.service] || state.hold.service),
    h("p", { class: "muted" }, location.name),
  );
  $("#hold-expired").hidden = true;
  $("#book-submit").disabled = false;
  startCountdown();
  goTo("details");
}

function startCountdown() {
  clearInterval(state.timer);
  const output = $("#hold-countdown");
  let warned = false;
  const tick = () => {
    const left = (state.hold.deadline - performance.now()) / 1000;
    output.textContent = formatCountdown(left);
    if (left <= 60 && !warned) {
      warned = true;
      $("#hold-live").textContent = t("hold.one_minute");
    }
    if (left <= 0) {
      clearInterval(state.timer);
      holdLost("hold.expired");
    }
  };
  tick();
  state.timer = setInterval(tick, 1000);
}

// The hold is gone (expired, or the slot was taken): the form keeps what was typed, and the
// patient picks another time and comes back to it.
function holdLost(messageKey) {
  clearInterval(state.timer);
  $("#hold-expired-text").textContent = t(messageKey);
  $("#hold-expired").hidden = false;
  $("#book-submit").disabled = true;
  $("#hold-expired").focus();
  postHeight();
}

async function pickAnotherTime() {
  await releaseHold(state.hold);
  state.hold = null;
  clearInterval(state.timer);
  await openTimes(state.site, picker?.selectedDay || null);
}

$("#pick-another").addEventListener("click", pickAnotherTime);
$("#change-time").addEventListener("click", pickAnotherTime);

const book = idempotentPost("/v1/appointments");

$("#patient-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const values = formValues(form, [...PATIENT_FIELDS, "reason"]);
  const patient = Object.fromEntries(PATIENT_FIELDS.map((name) => [name.slice("patient.".length), values[name]]));
  const body = { hold_id: state.hold.id, patient, triage_id: state.assessment.id };
  if (values.reason) body.reason = values.reason;
  await busy($("#book-submit"), async () => {
    let appointment;
    try {
      appointment = await book(body);
    } catch (error) {
      const holdGone =
        ["hold-expired", "hold-not-found"].includes(error.slug) ||
        error.errors.some((e) => e.field === "hold_id");
      if (holdGone) holdLost("hold.expired");
      else if (error.slug === "slot-unavailable") holdLost("error.slot_taken");
      else showErrors(form, error);
      postHeight();
      return;
    }
    clearInterval(state.timer);
    state.hold = null;
    clearErrors(form);
    showConfirmation(appointment);
  });
});

// --- 6. booked ----------------------------------------------------------------------------------

function showConfirmation(appointment) {
  const location = state.site.location;
  const code = appointment.confirmation_code;
  const token = appointment.manage_token;
  const query = new URLSearchParams({ code, token, lang });
  const icsUrl = `/v1/appointments/${encodeURIComponent(code)}/ics?token=${encodeURIComponent(token)}`;
  // Inside a partner's iframe the manage page opens on its own: it may not be framed.
  const target = embedded ? "_blank" : null;
  clear(
    $("#confirmation"),
    h(
      "div",
      { class: "confirmation" },
      h("p", { class: "eyebrow" }, t("done.code")),
      h("p", { class: "code", "aria-label": code.split("").join(" ") }, spacedCode(code)),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("done.when")),
        h("dd", { class: "when" }, formatWhen(appointment.start, location.timezone)),
        h("dt", {}, t("done.what")),
        h("dd", {}, `${state.names[appointment.service] || appointment.service_name} · ${appointment.provider_name}`),
        h("dt", {}, t("done.where")),
        h(
          "dd",
          {},
          h("strong", {}, location.name),
          h("br"),
          h("address", {}, addressLines(location).join(", ")),
          h("a", { href: `tel:${location.phone.replace(/[^\d+]/g, "")}` }, location.phone),
        ),
      ),
      h(
        "div",
        { class: "actions" },
        h("a", { class: "button button-primary", href: icsUrl, download: `appointment-${code}.ics` }, t("done.calendar")),
        h("a", { class: "button button-secondary", href: `/manage?${query}`, target, rel: target ? "noopener" : null }, t("done.manage")),
      ),
      h("p", { class: "muted" }, t("done.keep_link")),
    ),
  );
  goTo("done");
}

// --- the widget's iframe: tell the partner's page how tall we are ------------------------------------

let lastHeight = 0;
function postHeight() {
  if (!embedded || window.parent === window) return;
  requestAnimationFrame(() => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    // "*": the height is not a secret, and the parent's origin is not known here; widget.js
    // checks that the message comes from our origin before it trusts it.
    window.parent.postMessage({ type: "booking-widget:height", height }, "*");
  });
}

if (embedded) {
  new ResizeObserver(postHeight).observe(document.documentElement);
  window.addEventListener("load", postHeight);
}

window.addEventListener("pagehide", () => {
  // Leaving with a hold: free the time for others now rather than when it expires.
  // (sendBeacon can only POST; a keepalive fetch outlives the page.)
  if (state.hold) {
    api(`/v1/holds/${encodeURIComponent(state.hold.id)}`, { method: "DELETE", keepalive: true }).catch(() => {});
  }
});

start();
