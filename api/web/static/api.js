// Talking to the HTTP API with the signed-in key as bearer, and telling the user how it went.
// Everything shown comes from the API; text from it is only ever set as textContent.

export const $ = (selector) => document.querySelector(selector);
export const KEY_NAME = "kokoro-api-key";
export const state = { key: null, user: null, voices: [], clip: null, lastRequest: null, follows: new Map() };

// --- talking to the API -------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

export async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options = { ...options, body: JSON.stringify(options.json) };
  }
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return response;
}

export const apiJson = async (path, options) => (await api(path, options)).json();
export const withUser = (path) => `${path}${path.includes("?") ? "&" : "?"}user_id=${encodeURIComponent(state.user)}`;

export function say(message, bad = false) {
  const status = $("#status");
  status.textContent = message;
  status.classList.toggle("bad", bad);
}

export function failed(error) {
  say(error instanceof ApiError ? error.message : `Something went wrong: ${error.message}`, true);
}

