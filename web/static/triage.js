// The triage questionnaire as the API describes it, rendered as native controls (one fieldset per
// question), and the assessment it returns. Shared by the patient page and the console.

import { api } from "./api.js";
import { h, uniqueId } from "./dom.js";
import { has, lang, t } from "./i18n.js";

export async function loadQuestionnaire() {
  return api("/v1/triage/questionnaire", { query: { lang } });
}

export async function assess(answers) {
  return api("/v1/triage", { method: "POST", query: { lang }, body: { answers } });
}

function choice(type, name, option, id) {
  const input = h("input", { type, name, id, value: String(option.value) });
  return h("div", { class: "choice" }, input, h("label", { for: id }, option.label));
}

function integerQuestion(question, legendId) {
  // A slider starts somewhere, so it only counts as an answer once it has been moved: an optional
  // question left alone is sent as unanswered, not as its midpoint.
  const id = uniqueId("q");
  const output = h("output", { for: id, class: "scale-value", "aria-live": "polite" }, t("triage.not_answered"));
  const input = h("input", {
    type: "range",
    id,
    name: question.id,
    min: question.min ?? 0,
    max: question.max ?? 10,
    step: 1,
    value: Math.round(((question.min ?? 0) + (question.max ?? 10)) / 2),
    "aria-describedby": `${legendId}-scale`,
    "data-touched": "false",
  });
  const touch = () => {
    input.dataset.touched = "true";
    output.textContent = input.value;
  };
  input.addEventListener("input", touch);
  input.addEventListener("change", touch);
  return h(
    "div",
    { class: "scale" },
    h("label", { for: id, class: "visually-hidden" }, question.text),
    input,
    h(
      "div",
      { class: "scale-ends", id: `${legendId}-scale`, "aria-hidden": "true" },
      h("span", {}, `${question.min ?? 0} · ${t("triage.scale_low")}`),
      h("span", {}, `${t("triage.scale_high")} · ${question.max ?? 10}`),
    ),
    h("p", { class: "scale-answer" }, t("triage.your_answer"), " ", output),
  );
}

export function renderQuestionnaire(container, questionnaire, { compact = false } = {}) {
  container.replaceChildren();
  questionnaire.questions.forEach((question, index) => {
    const legendId = uniqueId("legend");
    const legend = h(
      "legend",
      { id: legendId },
      h("span", { class: "q-number" }, `${index + 1}.`),
      " ",
      question.text,
      question.required ? h("span", { class: "req" }, ` ${t("triage.required")}`) : null,
    );
    let body;
    if (question.type === "integer") {
      body = integerQuestion(question, legendId);
    } else {
      const type = question.type === "multi_choice" ? "checkbox" : "radio";
      body = h(
        "div",
        { class: `choices${question.type === "boolean" ? " choices-inline" : ""}` },
        question.options.map((option) => choice(type, question.id, option, uniqueId("opt"))),
      );
    }
    const fieldset = h(
      "fieldset",
      { class: `question${compact ? " compact" : ""}`, "data-field": `answers.${question.id}` },
      legend,
      body,
    );
    if (question.type === "multi_choice") exclusiveNone(fieldset);
    container.append(fieldset);
  });
}

// "None of these" and a real warning sign cannot both be true: picking one clears the other.
function exclusiveNone(fieldset) {
  fieldset.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.checked) return;
    for (const other of fieldset.querySelectorAll("input[type=checkbox]")) {
      if (other !== box && (box.value === "none") !== (other.value === "none")) other.checked = false;
    }
  });
}

export function collectAnswers(form, questionnaire) {
  const answers = {};
  for (const question of questionnaire.questions) {
    const inputs = Array.from(form.querySelectorAll(`[name="${CSS.escape(question.id)}"]`));
    if (question.type === "integer") {
      const [input] = inputs;
      if (input && input.dataset.touched === "true") answers[question.id] = Number(input.value);
    } else if (question.type === "multi_choice") {
      const values = inputs.filter((i) => i.checked).map((i) => i.value);
      if (values.length) answers[question.id] = values;
    } else {
      const picked = inputs.find((i) => i.checked);
      if (!picked) continue;
      answers[question.id] = question.type === "boolean" ? picked.value === "true" : picked.value;
    }
  }
  return answers;
}

export const isEmergency = (assessment) => assessment.urgency === "emergency";

// The recommendation with its reasons, or the emergency message with a 911 link and nothing else.
export function renderAssessment(container, assessment, serviceNames = {}) {
  const reasons = h(
    "ul",
    { class: "reasons" },
    assessment.reasons.map((reason) => h("li", {}, reason.text)),
  );
  if (isEmergency(assessment)) {
    container.replaceChildren(
      h(
        "div",
        { class: "emergency", role: "alert" },
        h("h3", {}, t("emergency.title")),
        h("p", { class: "emergency-message" }, assessment.message),
        h("a", { class: "button button-danger call-911", href: "tel:911" }, t("emergency.call")),
        h("p", { class: "muted" }, t("emergency.why")),
        reasons,
      ),
    );
    return;
  }
  const service = assessment.recommended_service;
  const lines = assessment.service_lines.map((line) =>
    h("li", { class: `chip chip-${line.role}` }, line.name || line.code, line.role === "adjunct" ? ` · ${t("triage.also")}` : ""),
  );
  container.replaceChildren(
    h(
      "div",
      { class: "recommendation" },
      assessment.urgency === "soon" ? h("p", { class: "badge badge-soon" }, t("triage.soon")) : null,
      h("p", { class: "eyebrow" }, t("triage.we_suggest")),
      h("p", { class: "recommended-service" }, serviceNames[service] || service),
      h("p", {}, assessment.message),
      lines.length ? h("ul", { class: "chips", "aria-label": t("triage.care_types") }, lines) : null,
      h("h3", { class: "small-heading" }, t("triage.why")),
      reasons,
    ),
  );
}

// Service names come from the API in English; the page's own translation wins when it has one.
export async function loadServices() {
  const services = await api("/v1/services");
  return services.map((s) => ({ ...s, name: has(`service.${s.code}`) ? t(`service.${s.code}`) : s.name }));
}

export async function serviceNames() {
  return Object.fromEntries((await loadServices()).map((s) => [s.code, s.name]));
}
