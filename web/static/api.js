// The one way pages call the API: JSON in and out, and RFC 9457 problem+json errors turned into
// ApiError so every page can show `detail` and the per-field `errors` next to what caused them.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.slug = (problem.type || "").split("/").pop();
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

// Headers every call of this page carries: the widget's X-Partner-Key, the console's bearer token.
const settings = { partnerKey: "", token: () => "" , onUnauthorized: null };

export function configureApi(options) {
  Object.assign(settings, options);
}

export function queryString(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

export async function api(path, { method = "GET", body, form, query, headers = {}, raw = false, keepalive } = {}) {
  const init = { method, keepalive, headers: { Accept: "application/json, application/problem+json", ...headers } };
  if (settings.partnerKey) init.headers["X-Partner-Key"] = settings.partnerKey;
  const token = settings.token();
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  } else if (form) {
    init.body = new URLSearchParams(form);
  }
  let response;
  try {
    response = await fetch(path + (query ? queryString(query) : ""), init);
  } catch {
    throw new ApiError(0, { type: "/problems/network", detail: "" });
  }
  const type = response.headers.get("content-type") || "";
  let data = null;
  if (response.status !== 204) data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const problem = data && typeof data === "object" ? data : { detail: String(data || "") };
    if (response.status === 401 && settings.onUnauthorized && !path.endsWith("/auth/token")) {
      settings.onUnauthorized();
    }
    throw new ApiError(response.status, problem);
  }
  return raw ? { data, response } : data;
}

function randomKey() {
  // crypto.randomUUID exists only in secure contexts (https, localhost); a page opened over plain
  // http on a LAN address still needs unguessable keys, which getRandomValues gives everywhere.
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A POST that never books twice. The Idempotency-Key belongs to one request body: a double click or
// a retry after a lost response sends the same body with the same key, so the server replays its
// first answer; a corrected form is a new request and gets a new key (the server refuses a key
// reused with another body).
export function idempotentPost(path) {
  let attempt = null;
  return async function post(body) {
    const text = JSON.stringify(body);
    if (!attempt || attempt.text !== text) attempt = { text, key: randomKey() };
    const headers = { "Idempotency-Key": attempt.key };
    for (let tries = 1; ; tries += 1) {
      try {
        return await api(path, { method: "POST", body, headers });
      } catch (error) {
        // The first request with this key is still running, or its answer was lost: ask again with
        // the same key, which is exactly what the key makes safe.
        const retry = error.slug === "idempotent-request-in-progress" || error.status === 0;
        if (!retry || tries >= 4) throw error;
        await sleep(1000 * tries);
      }
    }
  };
}
