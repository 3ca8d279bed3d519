// The page's strings (rendered by the server from web/translations.py) and locale-aware formatting.
// Times are always shown in the SITE's zone, never the browser's: the patient travels to the site.

const strings = JSON.parse(document.getElementById("strings").textContent);
export const lang = document.documentElement.lang || "en";
export const locale = lang === "es" ? "es-US" : "en-US";

export function t(key, values = {}) {
  const text = strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (values[name] ?? "").toString());
}

export function has(key) {
  return Object.hasOwn(strings, key);
}

const formats = new Map();
function format(options) {
  const id = JSON.stringify(options);
  if (!formats.has(id)) {
    try {
      formats.set(id, new Intl.DateTimeFormat(locale, options));
    } catch {
      // "shortGeneric" ("PT") is newer than "short" ("PST"); older engines get the latter.
      formats.set(id, new Intl.DateTimeFormat(locale, { ...options, timeZoneName: "short" }));
    }
  }
  return formats.get(id);
}

function parts(date, options) {
  return Object.fromEntries(format(options).formatToParts(date).map((p) => [p.type, p.value]));
}

const zoneName = (date, timeZone) =>
  parts(date, { timeZone, hour: "numeric", timeZoneName: "shortGeneric" }).timeZoneName;

// "Tue Dec 1" / "mar 1 dic"
export function formatDay(value, timeZone) {
  const date = typeof value === "string" && value.length === 10 ? noonOf(value) : new Date(value);
  const zone = typeof value === "string" && value.length === 10 ? "UTC" : timeZone;
  const p = parts(date, { timeZone: zone, weekday: "short", month: "short", day: "numeric" });
  const weekday = p.weekday.replace(/\.$/, "");
  const month = p.month.replace(/\.$/, "");
  return lang === "es" ? `${weekday} ${p.day} ${month}` : `${weekday} ${month} ${p.day}`;
}

// "9:00 AM"
export function formatTime(value, timeZone) {
  return format({ timeZone, hour: "numeric", minute: "2-digit" }).format(new Date(value));
}

// "Tue Dec 1, 9:00 AM PT": the site's wall-clock time with its zone, as a patient reads it.
export function formatWhen(value, timeZone) {
  const date = new Date(value);
  return `${formatDay(value, timeZone)}, ${formatTime(date, timeZone)} ${zoneName(date, timeZone)}`;
}

export function formatBirthDate(isoDate) {
  return format({ timeZone: "UTC", year: "numeric", month: "short", day: "numeric" }).format(noonOf(isoDate));
}

// The calendar date (YYYY-MM-DD) of an instant in a zone.
export function dateIn(value, timeZone) {
  const p = parts(new Date(value), { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  return `${p.year}-${p.month}-${p.day}`;
}

export const todayIn = (timeZone) => dateIn(Date.now(), timeZone);

function noonOf(isoDate) {
  return new Date(`${isoDate}T12:00:00Z`);
}

export function addDays(isoDate, days) {
  const date = noonOf(isoDate);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export function formatCountdown(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function formatMiles(miles) {
  if (miles === null || miles === undefined) return "";
  return t("miles", { miles: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(miles) });
}

// Spaced in fours so an agent can read it back: "7QMY ZA78".
export const spacedCode = (code) => code.replace(/(.{4})(?=.)/g, "$1 ");
