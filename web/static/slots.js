// Finding where and when: the nearest sites offering a service with their next free times, and a
// day-and-time picker over GET /v1/availability. Shared by the patient page, manage page and console.

import { api } from "./api.js";
import { busy, clear, h } from "./dom.js";
import { addDays, dateIn, formatDay, formatMiles, formatTime, formatWhen, t, todayIn } from "./i18n.js";

export const WINDOW_DAYS = 14;

export async function findSites({ near, service, limit = 5 }) {
  const found = await api("/v1/locations", { query: { near, service, limit } });
  return found.results;
}

// The browser's position as `lat,lon`, or an error key naming why not.
export function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error("location.unsupported"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => resolve(`${position.coords.latitude.toFixed(4)},${position.coords.longitude.toFixed(4)}`),
      (error) => reject(new Error(error.code === 1 ? "location.denied" : "location.failed")),
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 },
    );
  });
}

// `next_available` may come with each search result (a start, a slot, or a list of them); without
// it the site's first free slots are asked for. Either way a chosen time is held at once when it is
// still free (a bare start is first matched to its slot); otherwise that day's times open.
export async function nextTimes(result, service, count = 3) {
  const given = result.next_available;
  if (given !== undefined && given !== null) {
    const list = Array.isArray(given) ? given : [given];
    return list.slice(0, count).map((item) => (typeof item === "string" ? { start: item } : item));
  }
  if (given === null) return [];
  // Several providers may be free at the same minute: ask for more and show distinct times.
  const found = await api("/v1/availability", {
    query: { service, location: result.location.id, limit: count * 4 },
  });
  const distinct = new Map();
  for (const slot of found.slots) if (!distinct.has(slot.start)) distinct.set(slot.start, slot);
  return [...distinct.values()].slice(0, count);
}

// A bare start (a `next_available` without its provider) made bookable: the free slot starting at
// exactly that instant, or null when it has just been taken.
export async function exactSlot(service, locationId, start) {
  try {
    const found = await api("/v1/availability", { query: { service, location: locationId, start, limit: 1 } });
    const [slot] = found.slots;
    return slot && Date.parse(slot.start) === Date.parse(start) ? slot : null;
  } catch {
    return null;
  }
}

export function addressLines(location) {
  const a = location.address;
  return [[a.line1, a.line2].filter(Boolean).join(", "), `${a.city}, ${a.state} ${a.postal_code}`];
}

export function siteCard(result, { service, onChoose, onPickTime, headingLevel = "h3" }) {
  const location = result.location;
  const times = h("div", { class: "next-times" }, h("p", { class: "muted" }, t("sites.loading_times")));
  const card = h(
    "article",
    { class: "card site", "aria-labelledby": `site-${location.id}-name` },
    h(
      "div",
      { class: "site-head" },
      h(headingLevel, { id: `site-${location.id}-name`, class: "site-name" }, location.name),
      result.distance_miles !== null && result.distance_miles !== undefined
        ? h("span", { class: "distance" }, formatMiles(result.distance_miles))
        : null,
    ),
    h("address", {}, ...addressLines(location).flatMap((line) => [line, h("br")]).slice(0, -1)),
    h("p", { class: "phone" }, h("a", { href: `tel:${location.phone.replace(/[^\d+]/g, "")}` }, location.phone)),
    times,
    h(
      "button",
      { type: "button", class: "button button-secondary", onclick: () => onChoose(result) },
      t("sites.all_times"),
      h("span", { class: "visually-hidden" }, ` – ${location.name}`),
    ),
  );
  nextTimes(result, service)
    .then((slots) => {
      if (!slots.length) {
        clear(times, h("p", { class: "muted" }, t("sites.no_times")));
        return;
      }
      clear(
        times,
        h("p", { class: "next-label" }, t("sites.next_free")),
        h(
          "ul",
          { class: "time-chips" },
          slots.map((slot) =>
            h(
              "li",
              {},
              h(
                "button",
                {
                  type: "button",
                  class: "chip-button",
                  onclick: async (event) => {
                    const button = event.currentTarget;
                    const full = slot.provider_id
                      ? { service, location_id: location.id, ...slot }
                      : await busy(button, () => exactSlot(service, location.id, slot.start));
                    onPickTime(result, full, button, slot.start);
                  },
                },
                formatWhen(slot.start, location.timezone),
              ),
            ),
          ),
        ),
      );
    })
    .catch(() => clear(times, h("p", { class: "muted" }, t("sites.times_failed"))));
  return card;
}

// Days of a window as buttons, then the chosen day's free times as buttons. Several providers free
// at the same minute show as one time: the patient picks a time, the first free provider gets it.
export class TimePicker {
  constructor(container, { service, location, onPick, providerNames = {} }) {
    this.container = container;
    this.service = service;
    this.location = location;
    this.onPick = onPick;
    this.providerNames = providerNames;
    this.zone = location.timezone;
    this.windowStart = todayIn(this.zone);
    this.selectedDay = null;
  }

  async load(startDay = this.windowStart, preferDay = null) {
    this.windowStart = startDay;
    clear(this.container, h("p", { class: "muted", role: "status" }, t("times.loading")));
    let slots;
    try {
      const found = await api("/v1/availability", {
        query: {
          service: this.service,
          location: this.location.id,
          start: startDay,
          end: addDays(startDay, WINDOW_DAYS - 1),
          limit: 5000,
        },
      });
      slots = found.slots;
    } catch (error) {
      clear(this.container, h("p", { class: "alert", role: "alert" }, error.problem?.detail || t("error.server")));
      return;
    }
    this.byDay = new Map();
    for (const slot of slots) {
      const day = dateIn(slot.start, this.zone);
      if (!this.byDay.has(day)) this.byDay.set(day, new Map());
      const times = this.byDay.get(day);
      if (!times.has(slot.start)) times.set(slot.start, slot);
    }
    const days = [...this.byDay.keys()];
    this.selectedDay = preferDay && this.byDay.has(preferDay) ? preferDay : days[0] || null;
    this.render();
  }

  render() {
    const days = [...this.byDay.keys()];
    const today = todayIn(this.zone);
    const nav = h(
      "div",
      { class: "window-nav" },
      h(
        "button",
        {
          type: "button",
          class: "button button-quiet",
          disabled: this.windowStart <= today,
          onclick: () => this.load(addDays(this.windowStart, -WINDOW_DAYS) < today ? today : addDays(this.windowStart, -WINDOW_DAYS)),
        },
        `‹ ${t("times.earlier")}`,
      ),
      h(
        "p",
        { class: "window-label" },
        `${formatDay(this.windowStart)} – ${formatDay(addDays(this.windowStart, WINDOW_DAYS - 1))}`,
      ),
      h(
        "button",
        { type: "button", class: "button button-quiet", onclick: () => this.load(addDays(this.windowStart, WINDOW_DAYS)) },
        `${t("times.later")} ›`,
      ),
    );
    if (!days.length) {
      clear(this.container, nav, h("p", { class: "empty" }, t("times.none_in_window")));
      return;
    }
    const dayList = h(
      "div",
      { class: "days", role: "group", "aria-label": t("times.days") },
      days.map((day) =>
        h(
          "button",
          {
            type: "button",
            class: "day",
            "aria-pressed": String(day === this.selectedDay),
            onclick: () => {
              this.selectedDay = day;
              this.render();
              this.container.querySelector(".day[aria-pressed=true]")?.focus();
            },
          },
          h("span", { class: "day-name" }, formatDay(day)),
          h("span", { class: "day-count" }, t("times.count", { count: this.byDay.get(day).size })),
        ),
      ),
    );
    const times = [...this.byDay.get(this.selectedDay).values()];
    const timeList = h(
      "div",
      { class: "times", role: "group", "aria-label": t("times.times_on", { day: formatDay(this.selectedDay) }) },
      times.map((slot) =>
        h(
          "button",
          {
            type: "button",
            class: "time",
            "data-start": slot.start,
            onclick: (event) => this.onPick(slot, event.currentTarget),
          },
          formatTime(slot.start, this.zone),
        ),
      ),
    );
    clear(
      this.container,
      nav,
      dayList,
      h("h3", { class: "small-heading" }, t("times.times_on", { day: formatDay(this.selectedDay) })),
      h("p", { class: "muted zone-note" }, t("times.zone_note", { zone: formatWhen(times[0].start, this.zone).split(" ").pop() })),
      timeList,
    );
  }
}

export async function holdSlot(slot) {
  // The Date header dates the hold by the server's clock, so the countdown is right even when the
  // device's clock is not.
  const { data, response } = await api("/v1/holds", {
    method: "POST",
    raw: true,
    body: { service: slot.service, location_id: slot.location_id, provider_id: slot.provider_id, start: slot.start },
  });
  const serverNow = Date.parse(response.headers.get("date") || "") || Date.now();
  const lastsMs = Date.parse(data.expires_at) - serverNow;
  return { ...data, deadline: performance.now() + lastsMs };
}

export function releaseHold(hold) {
  if (!hold) return Promise.resolve();
  return api(`/v1/holds/${encodeURIComponent(hold.id)}`, { method: "DELETE" }).catch(() => {});
}

export { busy };
