// The call-center console: log in, then everything a phone call needs on one screen: find the
// caller, run the same triage (read aloud), nearest sites and free times, book and read the code
// back, a site's day sheet, and cancel / move / mark the outcome of an appointment with its history.
// Admins also get closures and weekly hours (the rest of the admin API is in /docs).

import { api, configureApi, idempotentPost } from "./api.js";
import { $, $$, busy, clear, focusHeading, h } from "./dom.js";
import { clearErrors, describeError, formValues, messageFor, showAlert, showErrors } from "./forms.js";
import { formatBirthDate, formatCountdown, formatWhen, has, spacedCode, t, todayIn } from "./i18n.js";
import { findSites, holdSlot, releaseHold, siteCard, TimePicker } from "./slots.js";
import { assess, collectAnswers, isEmergency, loadQuestionnaire, loadServices, renderAssessment, renderQuestionnaire } from "./triage.js";

const TOKEN_KEY = "booking-staff-token";
const PATIENT_FIELDS = ["patient.given_name", "patient.family_name", "patient.birth_date", "patient.phone", "patient.email"];
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const state = {
  me: null,
  questionnaire: null,
  services: [],
  sites: [],
  patient: null,
  assessment: null,
  hold: null,
  timer: null,
  appointment: null,
};

// The token lives for this tab only (sessionStorage): closing the tab logs the agent out.
configureApi({
  token: () => sessionStorage.getItem(TOKEN_KEY) || "",
  onUnauthorized: () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(t("staff.session_ended"));
  },
});

const siteById = (id) => state.sites.find((s) => s.id === Number(id));
const serviceName = (code) => state.services.find((s) => s.code === code)?.name || code;
const fullName = (p) => `${p.given_name} ${p.family_name}`;
const statusBadge = (status) => h("span", { class: `status status-${status}` }, t(`status.${status}`));

function consoleAlert(message) {
  const alert = $("#console-alert");
  alert.textContent = message || "";
  alert.hidden = !message;
  if (message) alert.focus();
}

// --- login ---------------------------------------------------------------------------------------

function showLogin(message) {
  $("#console-root").hidden = true;
  $("#login").hidden = false;
  if (message) showAlert($("#login-form"), message);
  focusHeading($("#login"));
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const { username, password } = formValues(form, ["username", "password"]);
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const token = await api("/v1/auth/token", { method: "POST", form: { username, password } });
      sessionStorage.setItem(TOKEN_KEY, token.access_token);
    } catch (error) {
      if (error.status === 401) showAlert(form, t("staff.wrong_login"));
      else showErrors(form, error);
      return;
    }
    form.elements.namedItem("password").value = "";
    clearErrors(form);
    await enterConsole();
  });
});

$("#logout").addEventListener("click", async () => {
  await releaseHold(state.hold);
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

async function enterConsole() {
  try {
    state.me = await api("/v1/auth/me");
  } catch {
    showLogin();
    return;
  }
  $("#login").hidden = true;
  $("#console-root").hidden = false;
  $("#who-name").textContent = state.me.full_name;
  $("#who-role").textContent = t(`role.${state.me.role}`);
  focusHeading($("#console-root"));
  await Promise.all([loadCatalogue(), loadTriage()]);
  if (state.me.role === "admin") setUpAdmin();
}

async function loadCatalogue() {
  const [services, sites] = await Promise.all([loadServices(), api("/v1/locations")]);
  state.services = services;
  state.sites = sites.results.map((r) => r.location);
  clear(
    $("#staff-service"),
    h("option", { value: "" }, t("staff.choose_visit")),
    services.map((s) => h("option", { value: s.code }, s.bookable_online ? s.name : `${s.name} (${t("staff.staff_only")})`)),
  );
  const siteOptions = () => state.sites.map((s) => h("option", { value: s.id }, s.name));
  clear($("#daysheet-site"), siteOptions());
  clear($("#closure-site"), h("option", { value: "" }, t("admin.all_sites")), siteOptions());
  if (state.sites.length) $("#daysheet-date").value = todayIn(state.sites[0].timezone);
}

// --- 1. the caller -------------------------------------------------------------------------------

$("#patient-search").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const query = formValues(form, ["name", "birth_date", "phone"]);
  if (!query.name && !query.birth_date && !query.phone) {
    showAlert(form, t("staff.search_empty"));
    return;
  }
  await busy(form.querySelector("button[type=submit]"), async () => {
    let patients;
    try {
      patients = await api("/v1/staff/patients", { query });
    } catch (error) {
      showErrors(form, error);
      return;
    }
    clearErrors(form);
    const results = $("#patient-results");
    if (!patients.length) {
      clear(results, h("p", { class: "empty" }, t("staff.no_patients")));
      return;
    }
    clear(
      results,
      h("p", { class: "muted" }, t("staff.found", { count: patients.length })),
      h(
        "ul",
        { class: "result-list" },
        patients.map((p) =>
          h(
            "li",
            { class: state.patient?.id === p.id ? "selected" : "" },
            h("div", {}, h("strong", {}, `${p.family_name}, ${p.given_name}`), h("br"), h("span", { class: "muted" }, `${formatBirthDate(p.birth_date)} · ${p.phone}`)),
            h("button", { type: "button", class: "button button-secondary button-small", onclick: () => selectPatient(p) }, t("staff.select"), h("span", { class: "visually-hidden" }, ` ${fullName(p)}`)),
          ),
        ),
      ),
    );
  });
});

async function selectPatient(patient) {
  state.patient = patient;
  $("#new-caller").open = false;
  $$("#patient-results li").forEach((li) => li.classList.remove("selected"));
  await showPatient();
  $("#patient-selected .patient-card").focus();
}

async function showPatient() {
  const p = state.patient;
  const box = $("#patient-selected");
  if (!p) {
    clear(box);
    return;
  }
  let appointments = [];
  try {
    appointments = await api(`/v1/staff/patients/${p.id}/appointments`);
  } catch (error) {
    consoleAlert(describeError(error));
  }
  clear(
    box,
    h(
      "div",
      { class: "patient-card", tabindex: "-1", "aria-label": t("staff.booking_for", { name: fullName(p) }) },
      h("p", { class: "eyebrow" }, t("staff.booking_for_label")),
      h("p", {}, h("strong", { class: "patient-name" }, fullName(p))),
      h("p", { class: "muted" }, `${formatBirthDate(p.birth_date)} · ${p.phone} · ${p.email}`),
      h("button", { type: "button", class: "button button-quiet button-small", onclick: () => { state.patient = null; showPatient(); } }, t("staff.clear_patient")),
    ),
    h("h3", {}, t("staff.appointments")),
    appointments.length
      ? h(
          "ul",
          { class: "result-list patient-appointments" },
          [...appointments].reverse().map((a) =>
            h(
              "li",
              {},
              h("div", {}, h("strong", {}, formatWhen(a.start, a.timezone)), " ", statusBadge(a.status), h("br"), h("span", { class: "muted" }, `${serviceName(a.service)} · ${a.location_name} · ${a.confirmation_code}`)),
              h("button", { type: "button", class: "button button-secondary button-small", onclick: () => openAppointment(a.id) }, t("staff.open"), h("span", { class: "visually-hidden" }, ` ${a.confirmation_code}`)),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("staff.no_appointments")),
  );
}

// --- 2. triage, sites, times, booking --------------------------------------------------------------

async function loadTriage() {
  try {
    state.questionnaire = await loadQuestionnaire();
    renderQuestionnaire($("#staff-questions"), state.questionnaire, { compact: true });
  } catch (error) {
    clear($("#staff-questions"), h("p", { class: "alert" }, describeError(error)));
  }
}

$("#staff-triage").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      state.assessment = await assess(collectAnswers(form, state.questionnaire));
    } catch (error) {
      showErrors(form, error);
      return;
    }
    clearErrors(form);
    const names = Object.fromEntries(state.services.map((s) => [s.code, s.name]));
    renderAssessment($("#staff-assessment"), state.assessment, names);
    const emergency = isEmergency(state.assessment);
    // Red flags: the caller is sent to emergency care, and the console offers nothing to book.
    $("#booking-controls").hidden = emergency;
    if (!emergency) $("#staff-service").value = state.assessment.recommended_service;
    $("#triage-block").open = false;
    $("#staff-assessment").setAttribute("tabindex", "-1");
    $("#staff-assessment").focus();
  });
});

$("#staff-triage").addEventListener("reset", () => {
  state.assessment = null;
  clear($("#staff-assessment"));
  $("#booking-controls").hidden = false;
  setTimeout(() => $$("#staff-triage [data-touched]").forEach((i) => { i.dataset.touched = "false"; }), 0);
});

$("#staff-find").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const { service, near } = formValues(form, ["service", "near"]);
  const errors = [];
  if (!service) errors.push({ field: "service", message: t("staff.choose_visit") });
  if (!near) errors.push({ field: "near", message: t("error.near") });
  if (errors.length) {
    showErrors(form, { errors });
    return;
  }
  await busy(form.querySelector("button[type=submit]"), async () => {
    let results;
    try {
      results = await findSites({ near, service, limit: 5 });
    } catch (error) {
      showErrors(form, error);
      return;
    }
    clearErrors(form);
    clear($("#staff-times"));
    clear(
      $("#staff-sites"),
      results.length
        ? results.map((result) =>
            siteCard(result, {
              service,
              headingLevel: "h4",
              onChoose: (chosen) => openTimes(chosen, service),
              onPickTime: (chosen, slot, button, start) =>
                slot ? chooseSlot(chosen, slot, button) : openTimes(chosen, service, start),
            }),
          )
        : h("p", { class: "empty" }, t("sites.none")),
    );
  });
});

let picker = null;

function openTimes(result, service, onStart = null) {
  const box = $("#staff-times");
  const pickerBox = h("div", { class: "time-picker" });
  clear(box, h("h3", { tabindex: "-1" }, t("staff.times_at", { site: result.location.name })), pickerBox);
  picker = new TimePicker(pickerBox, {
    service,
    location: result.location,
    onPick: (slot, button) => chooseSlot(result, slot, button),
  });
  picker.load(undefined, onStart ? onStart.slice(0, 10) : null);
  box.querySelector("h3").focus();
}

async function chooseSlot(result, slot, button) {
  await busy(button, async () => {
    await releaseHold(state.hold);
    state.hold = null;
    try {
      state.hold = await holdSlot(slot);
    } catch (error) {
      consoleAlert(error.status === 409 ? t("error.slot_taken") : describeError(error));
      if (picker && error.status === 409) picker.load(picker.windowStart, picker.selectedDay);
      return;
    }
    consoleAlert("");
    state.hold.site = result.location;
    showHold();
  });
}

function showHold() {
  const hold = state.hold;
  const forWhom = state.patient ? fullName(state.patient) : t("staff.new_caller_short");
  const countdown = h("span", { class: "countdown", role: "timer" }, "");
  clear(
    $("#staff-book"),
    h(
      "div",
      { class: "card hold" },
      h("p", { class: "hold-when" }, formatWhen(hold.start, hold.site.timezone)),
      h("p", {}, `${serviceName(hold.service)} · ${hold.site.name}`),
      h("p", { class: "hold-timer" }, t("staff.held_for"), " ", countdown),
      h("div", { class: "form-alert", role: "alert", hidden: true }),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "button button-primary button-large", id: "staff-book-button", onclick: (e) => bookForCaller(e.currentTarget) }, t("staff.book_for", { name: forWhom })),
      ),
    ),
  );
  clearInterval(state.timer);
  const tick = () => {
    const left = (hold.deadline - performance.now()) / 1000;
    countdown.textContent = formatCountdown(left);
    if (left <= 0) {
      clearInterval(state.timer);
      $("#staff-book-button").disabled = true;
      countdown.textContent = t("staff.hold_expired");
    }
  };
  tick();
  state.timer = setInterval(tick, 1000);
  $("#staff-book-button").focus();
}

const bookRequest = idempotentPost("/v1/staff/appointments");

async function bookForCaller(button) {
  const body = { hold_id: state.hold.id };
  if (state.assessment && !isEmergency(state.assessment)) body.triage_id = state.assessment.id;
  const newCaller = $("#new-caller-form");
  if (state.patient) {
    body.patient_id = state.patient.id;
  } else {
    const values = formValues(newCaller, PATIENT_FIELDS);
    body.patient = Object.fromEntries(PATIENT_FIELDS.map((name) => [name.slice("patient.".length), values[name]]));
  }
  const alert = $("#staff-book .form-alert");
  await busy(button, async () => {
    let appointment;
    try {
      appointment = await bookRequest(body);
    } catch (error) {
      if (error.errors.some((e) => e.field.startsWith("patient"))) {
        $("#new-caller").open = true;
        showErrors(newCaller, error);
        alert.textContent = t("staff.check_caller");
      } else if (error.status === 409 || error.errors.some((e) => e.field === "hold_id")) {
        alert.textContent = error.slug === "slot-unavailable" ? t("error.slot_taken") : t("staff.hold_expired_pick");
      } else {
        alert.textContent = describeError(error);
      }
      alert.hidden = false;
      return;
    }
    clearInterval(state.timer);
    state.hold = null;
    // The call is nearly done: the code to read back takes the place of the search results.
    clear($("#staff-book"));
    clear($("#staff-sites"));
    clear($("#staff-times"));
    clearErrors(newCaller);
    showBooked(appointment);
  });
}

function showBooked(appointment) {
  const box = $("#staff-confirmation");
  clear(
    box,
    h(
      "div",
      { class: "readback" },
      h("p", { class: "eyebrow" }, t("staff.read_back")),
      h("p", { class: "big-code", id: "readback-code", "aria-label": appointment.confirmation_code.split("").join(" ") }, spacedCode(appointment.confirmation_code)),
      h("p", { class: "hold-when" }, formatWhen(appointment.start, appointment.timezone)),
      h("p", {}, `${serviceName(appointment.service)} · ${appointment.provider_name}`),
      h("p", { class: "muted" }, appointment.location_name),
      h("button", { type: "button", class: "button button-secondary", onclick: () => openAppointment(appointment.id) }, t("staff.open_appointment")),
    ),
  );
  box.focus();
  if (state.patient?.given_name) showPatient();
}

// --- 3. day sheet --------------------------------------------------------------------------------

$("#daysheet-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadDaySheet(event.currentTarget.querySelector("button[type=submit]"));
});

async function loadDaySheet(button) {
  const form = $("#daysheet-form");
  const { location, date } = formValues(form, ["location", "date"]);
  if (!location || !date) {
    showErrors(form, { errors: [{ field: "date", message: t("staff.pick_date") }] });
    return;
  }
  await busy(button, async () => {
    let sheet;
    try {
      sheet = await api(`/v1/staff/locations/${encodeURIComponent(location)}/day-sheet`, { query: { date } });
    } catch (error) {
      showErrors(form, error);
      return;
    }
    clearErrors(form);
    const rows = sheet.providers.flatMap((provider) => provider.appointments.map((a) => ({ provider, a })));
    rows.sort((x, y) => x.a.start.localeCompare(y.a.start));
    clear(
      $("#daysheet"),
      rows.length
        ? h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              {},
              h("caption", { class: "visually-hidden" }, t("staff.day_sheet")),
              h("thead", {}, h("tr", {}, [t("staff.col_time"), t("staff.col_patient"), t("staff.col_visit"), t("staff.col_status"), ""].map((c) => h("th", { scope: "col" }, c)))),
              h(
                "tbody",
                {},
                rows.map(({ provider, a }) =>
                  h(
                    "tr",
                    {},
                    h("td", {}, formatWhen(a.start, sheet.timezone).split(", ").pop()),
                    h("td", {}, a.patient ? fullName(a.patient) : "—", h("br"), h("span", { class: "muted" }, provider.provider_name)),
                    h("td", {}, serviceName(a.service), h("br"), h("span", { class: "muted" }, a.confirmation_code)),
                    h("td", {}, statusBadge(a.status)),
                    h("td", {}, h("button", { type: "button", class: "button button-secondary button-small", onclick: () => openAppointment(a.id) }, t("staff.open"), h("span", { class: "visually-hidden" }, ` ${a.confirmation_code}`))),
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "empty" }, t("staff.day_empty")),
    );
  });
}

// --- an appointment: details, actions, history ---------------------------------------------------------

async function openAppointment(id) {
  const panel = $("#appointment-panel");
  $("#appointment-alert").hidden = true;
  $("#appointment-move").hidden = true;
  try {
    state.appointment = await api(`/v1/staff/appointments/${encodeURIComponent(id)}`);
  } catch (error) {
    consoleAlert(describeError(error));
    return;
  }
  panel.hidden = false;
  renderAppointment();
  await loadAudit();
  focusHeading(panel);
}

function renderAppointment() {
  const a = state.appointment;
  const booked = a.status === "booked";
  const action = (label, handler, kind = "button-secondary", disabled = false) =>
    h("button", { type: "button", class: `button ${kind} button-small`, onclick: (e) => handler(e.currentTarget), disabled }, label);
  $("#h-appointment").textContent = `${t("staff.appointment")} ${spacedCode(a.confirmation_code)}`;
  clear(
    $("#appointment-detail"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("staff.col_status")),
      h("dd", {}, statusBadge(a.status), " ", h("span", { class: "muted" }, t(`channel.${a.channel}`))),
      h("dt", {}, t("done.when")),
      h("dd", { class: "when" }, formatWhen(a.start, a.timezone)),
      h("dt", {}, t("staff.col_patient")),
      h("dd", {}, a.patient ? `${fullName(a.patient)} · ${formatBirthDate(a.patient.birth_date)} · ${a.patient.phone}` : "—"),
      h("dt", {}, t("done.what")),
      h("dd", {}, `${serviceName(a.service)} · ${a.provider_name}`),
      h("dt", {}, t("done.where")),
      h("dd", {}, a.location_name),
      a.reason ? [h("dt", {}, t("staff.reason")), h("dd", {}, a.reason)] : null,
    ),
    h(
      "div",
      { class: "actions row-actions" },
      action(t("manage.move"), openMove, "button-secondary", !booked),
      action(t("staff.cancel_appointment"), askCancel, "button-secondary", !booked),
      // Whether a visit can be marked yet (it must have started) is the API's to say, not the page's.
      action(t("staff.mark_fulfilled"), (b) => outcome("fulfilled", b), "button-secondary", !booked),
      action(t("staff.mark_noshow"), (b) => outcome("noshow", b), "button-secondary", !booked),
    ),
    h("div", { id: "appointment-confirm" }),
  );
}

async function loadAudit() {
  let events = [];
  try {
    events = await api(`/v1/staff/appointments/${encodeURIComponent(state.appointment.id)}/audit`);
  } catch (error) {
    clear($("#appointment-audit"), h("p", { class: "alert" }, describeError(error)));
    return;
  }
  const tz = state.appointment.timezone;
  clear(
    $("#appointment-audit"),
    h(
      "ol",
      { class: "audit" },
      events.map((e) =>
        h(
          "li",
          {},
          h("time", { datetime: e.occurred_at }, formatWhen(e.occurred_at, tz)),
          " — ",
          has(`audit.${e.action}`) ? t(`audit.${e.action}`) : e.action,
          h("br"),
          h("span", { class: "muted" }, `${e.actor} · ${t(`channel.${e.channel}`)}`),
          Object.keys(e.changes || {}).length ? h("br") : null,
          Object.keys(e.changes || {}).length ? h("span", { class: "muted" }, Object.entries(e.changes).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join("; ")) : null,
        ),
      ),
    ),
  );
}

async function afterChange(message) {
  renderAppointment();
  await loadAudit();
  const alert = $("#appointment-alert");
  alert.className = "alert alert-success";
  alert.setAttribute("role", "status");
  alert.textContent = message;
  alert.hidden = false;
  alert.focus();
  if (state.patient?.given_name) showPatient();
  if ($("#daysheet table")) loadDaySheet(null);
}

function appointmentError(error) {
  const alert = $("#appointment-alert");
  alert.className = "alert";
  alert.setAttribute("role", "alert");
  const [first] = error.errors;
  if (error.slug === "slot-unavailable") alert.textContent = t("error.slot_taken");
  else alert.textContent = first ? messageFor(first.field, first.message) : describeError(error);
  alert.hidden = false;
  alert.focus();
}

function askCancel() {
  const a = state.appointment;
  clear(
    $("#appointment-confirm"),
    h(
      "div",
      { class: "confirm-box", role: "group", "aria-labelledby": "staff-cancel-q" },
      h("p", { id: "staff-cancel-q", tabindex: "-1" }, h("strong", {}, t("manage.cancel_question", { when: formatWhen(a.start, a.timezone) }))),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "button button-danger", id: "staff-cancel-yes", onclick: (e) => cancel(e.currentTarget) }, t("manage.cancel_yes")),
        h("button", { type: "button", class: "button button-secondary", onclick: () => clear($("#appointment-confirm")) }, t("manage.cancel_no")),
      ),
    ),
  );
  $("#staff-cancel-q").focus();
}

async function cancel(button) {
  await busy(button, async () => {
    try {
      await api(`/v1/staff/appointments/${encodeURIComponent(state.appointment.id)}/cancel`, { method: "POST" });
      state.appointment = await api(`/v1/staff/appointments/${encodeURIComponent(state.appointment.id)}`);
    } catch (error) {
      appointmentError(error);
      return;
    }
    await afterChange(t("manage.cancelled"));
  });
}

async function outcome(status, button) {
  await busy(button, async () => {
    try {
      state.appointment = await api(`/v1/staff/appointments/${encodeURIComponent(state.appointment.id)}/outcome`, { method: "POST", body: { status } });
    } catch (error) {
      appointmentError(error);
      return;
    }
    await afterChange(t(`staff.marked_${status}`));
  });
}

let movePicker = null;

function openMove() {
  const a = state.appointment;
  $("#appointment-move").hidden = false;
  clear($("#appointment-move-confirm"));
  movePicker = new TimePicker($("#appointment-picker"), {
    service: a.service,
    location: { id: a.location_id, timezone: a.timezone },
    onPick: (slot) => askMove(slot),
  });
  movePicker.load();
  $("#appointment-move h3").setAttribute("tabindex", "-1");
  $("#appointment-move h3").focus();
}

function askMove(slot) {
  const a = state.appointment;
  clear(
    $("#appointment-move-confirm"),
    h(
      "div",
      { class: "confirm-box confirm-move", role: "group", "aria-labelledby": "staff-move-q" },
      h("p", { id: "staff-move-q", tabindex: "-1" }, h("strong", {}, t("manage.move_question", { from: formatWhen(a.start, a.timezone), to: formatWhen(slot.start, a.timezone) }))),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "button button-primary", id: "staff-move-yes", onclick: (e) => move(slot, e.currentTarget) }, t("manage.move_yes")),
        h("button", { type: "button", class: "button button-secondary", onclick: () => clear($("#appointment-move-confirm")) }, t("manage.move_other")),
      ),
    ),
  );
  $("#staff-move-q").focus();
}

async function move(slot, button) {
  await busy(button, async () => {
    try {
      await api(`/v1/staff/appointments/${encodeURIComponent(state.appointment.id)}/reschedule`, {
        method: "POST",
        body: { start: slot.start, provider_id: slot.provider_id, location_id: slot.location_id },
      });
      state.appointment = await api(`/v1/staff/appointments/${encodeURIComponent(state.appointment.id)}`);
    } catch (error) {
      appointmentError(error);
      if (error.status === 409) movePicker.load(movePicker.windowStart, movePicker.selectedDay);
      return;
    }
    $("#appointment-move").hidden = true;
    await afterChange(t("manage.moved", { when: formatWhen(state.appointment.start, state.appointment.timezone) }));
  });
}

// --- admin: closures and weekly hours (everything else: the admin API in /docs) ----------------------

async function setUpAdmin() {
  $("#admin-panel").hidden = false;
  await Promise.all([loadClosures(), loadProviders()]);
}

async function loadClosures() {
  let closures = [];
  try {
    closures = await api("/v1/admin/closures");
  } catch (error) {
    clear($("#closures"), h("p", { class: "alert" }, describeError(error)));
    return;
  }
  closures.sort((x, y) => x.on_date.localeCompare(y.on_date));
  clear(
    $("#closures"),
    closures.length
      ? h(
          "ul",
          { class: "result-list" },
          closures.map((c) =>
            h(
              "li",
              {},
              h("div", {}, h("strong", {}, formatBirthDate(c.on_date)), " · ", c.location_id ? siteById(c.location_id)?.name || c.location_id : t("admin.all_sites"), c.reason ? h("span", { class: "muted" }, ` · ${c.reason}`) : null),
              h("button", { type: "button", class: "button button-quiet button-small", onclick: (e) => removeClosure(c.id, e.currentTarget) }, t("admin.reopen")),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("admin.no_closures")),
  );
}

$("#closure-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const values = formValues(form, ["location_id", "on_date", "reason"]);
  const body = { on_date: values.on_date || null, reason: values.reason, location_id: values.location_id ? Number(values.location_id) : null };
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      await api("/v1/admin/closures", { method: "POST", body });
    } catch (error) {
      showErrors(form, error);
      return;
    }
    clearErrors(form);
    form.reset();
    await loadClosures();
  });
});

async function removeClosure(id, button) {
  await busy(button, async () => {
    try {
      await api(`/v1/admin/closures/${id}`, { method: "DELETE" });
    } catch (error) {
      consoleAlert(describeError(error));
    }
    await loadClosures();
  });
}

async function loadProviders() {
  let providers = [];
  try {
    providers = await api("/v1/admin/providers");
  } catch (error) {
    showAlert($("#hours-form"), describeError(error));
    return;
  }
  clear($("#hours-provider"), providers.map((p) => h("option", { value: p.id }, p.display_name)));
  $("#hours-provider").addEventListener("change", loadHours);
  if (providers.length) loadHours();
}

function hoursRow(hours, index) {
  const id = (name) => `hours-${index}-${name}`;
  const select = (name, options, value) =>
    h("select", { id: id(name), name: `hours.${index}.${name}` }, options.map(([v, label]) => h("option", { value: v, selected: String(v) === String(value) }, label)));
  // Every row has the same visible labels; the hidden row number keeps each control's name unique.
  const cell = (name, label, control) =>
    h("div", { class: "field", "data-field": `hours.${index}.${name}` }, h("label", { for: id(name) }, label, h("span", { class: "visually-hidden" }, ` ${index + 1}`)), control);
  return h(
    "div",
    { class: "hours-row", dataset: { index } },
    cell("location_id", t("staff.site"), select("location_id", state.sites.map((s) => [s.id, s.name]), hours.location_id)),
    cell("weekday", t("admin.weekday"), select("weekday", WEEKDAYS.map((d) => [d, t(`weekday.${d}`)]), hours.weekday)),
    cell("starts", t("admin.starts"), h("input", { id: id("starts"), name: `hours.${index}.starts`, type: "time", value: hours.starts || "09:00" })),
    cell("ends", t("admin.ends"), h("input", { id: id("ends"), name: `hours.${index}.ends`, type: "time", value: hours.ends || "17:00" })),
    h("button", { type: "button", class: "button button-quiet button-small", onclick: (e) => e.currentTarget.closest(".hours-row").remove() }, t("admin.remove"), h("span", { class: "visually-hidden" }, ` ${index + 1}`)),
  );
}

let rowCount = 0;

async function loadHours() {
  const providerId = $("#hours-provider").value;
  let schedule;
  try {
    schedule = await api(`/v1/admin/providers/${providerId}/working-hours`);
  } catch (error) {
    showAlert($("#hours-form"), describeError(error));
    return;
  }
  clearErrors($("#hours-form"));
  rowCount = schedule.hours.length;
  clear($("#hours-rows"), schedule.hours.map((hours, i) => hoursRow(hours, i)));
}

$("#hours-add").addEventListener("click", () => {
  const row = hoursRow({ location_id: state.sites[0]?.id, weekday: "mon" }, rowCount);
  rowCount += 1;
  $("#hours-rows").append(row);
  row.querySelector("select").focus();
});

$("#hours-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  // Rows keep the index they were drawn with, so an error on `hours.3.ends` lands on that row.
  const rows = $$(".hours-row", form);
  const hours = rows.map((row) => {
    const i = row.dataset.index;
    const value = (name) => form.elements.namedItem(`hours.${i}.${name}`).value;
    return { location_id: Number(value("location_id")), weekday: value("weekday"), starts: value("starts"), ends: value("ends") };
  });
  // The API numbers rows by their place in the list it was sent; map those back to drawn rows.
  const fieldMap = {};
  rows.forEach((row, position) => {
    for (const name of ["location_id", "weekday", "starts", "ends"]) fieldMap[`hours.${position}.${name}`] = `hours.${row.dataset.index}.${name}`;
    fieldMap[`hours.${position}`] = `hours.${row.dataset.index}.starts`;
  });
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      await api(`/v1/admin/providers/${$("#hours-provider").value}/working-hours`, { method: "PUT", body: { hours } });
    } catch (error) {
      showErrors(form, error, { fieldMap });
      return;
    }
    await loadHours();
    $("#hours-status").textContent = t("admin.hours_saved");
  });
});

// --- start -------------------------------------------------------------------------------------------

window.addEventListener("pagehide", () => {
  if (state.hold) api(`/v1/holds/${encodeURIComponent(state.hold.id)}`, { method: "DELETE", keepalive: true }).catch(() => {});
});

if (sessionStorage.getItem(TOKEN_KEY)) enterConsole();
else showLogin();
