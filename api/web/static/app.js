// The web page's entry: sign-in, the pages, and wiring the forms to what they do.
import { $, KEY_NAME, apiJson, failed, say, state } from "./api.js";
import { loadDictionary, wireDictionary } from "./dictionary.js";
import { loadProjects, wireProjects } from "./projects.js";
import { download, fillVoices, loadVoices, saveProject, speak, watchLevel } from "./try.js";

// --- signing in ----------------------------------------------------------------------------

async function whoAmI(key) {
  state.key = key;
  try {
    return await apiJson("/api/v1/me");
  } catch (error) {
    state.key = null;
    throw error;
  }
}

async function start() {
  const saved = sessionStorage.getItem(KEY_NAME) || localStorage.getItem(KEY_NAME);
  try {
    signedIn(await whoAmI(saved));
  } catch (error) {
    if (error.status !== 401) return failed(error);
    sessionStorage.removeItem(KEY_NAME);
    localStorage.removeItem(KEY_NAME);
    show("signin");
  }
}

async function signIn(event) {
  event.preventDefault();
  const key = $("#key").value.trim();
  try {
    const me = await whoAmI(key);
    (($("#remember").checked) ? localStorage : sessionStorage).setItem(KEY_NAME, key);
    $("#key").value = "";
    say("");
    signedIn(me);
  } catch (error) {
    say(error.status === 401 ? "That key was refused: check it and try again." : error.message, true);
    $("#key").focus();
  }
}

function signedIn(me) {
  state.user = me.user_id;
  $("#who-name").textContent = me.keys_required ? `Signed in as ${me.user_id}` : `${me.user_id} (this machine, no keys)`;
  $("#who").hidden = false;
  $("#sign-out").hidden = !me.keys_required;
  $("#tabs").hidden = false;
  loadVoices().catch(failed);
  route();
}

function signOut() {
  sessionStorage.removeItem(KEY_NAME);
  localStorage.removeItem(KEY_NAME);
  location.hash = "";
  location.reload();
}

// --- pages -----------------------------------------------------------------------------------

const PAGES = ["signin", "try", "projects", "dictionary"];

function show(page) {
  for (const name of PAGES) $(`#page-${name}`).hidden = name !== page;
  for (const link of document.querySelectorAll("#tabs a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function route() {
  if (state.user === null) return;
  const page = location.hash.slice(1) || "try";
  show(PAGES.includes(page) && page !== "signin" ? page : "try");
  if (page === "projects") loadProjects().catch(failed);
  if (page === "dictionary") loadDictionary().catch(failed);
}


// --- wiring ----------------------------------------------------------------------------------

function wire() {
  $("#signin-form").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", signOut);
  $("#lang").addEventListener("change", fillVoices);
  $("#blend").addEventListener("change", () => { $("#mix").disabled = !$("#blend").value; });
  $("#speed").addEventListener("input", () => {
    $("#speed-out").textContent = `${Number($("#speed").value).toFixed(1)}×`;
  });
  $("#try-form").addEventListener("submit", speak);
  $("#save-project").addEventListener("click", saveProject);
  $("#download-form").addEventListener("submit", download);
  wireProjects();
  wireDictionary();
  watchLevel();
  window.addEventListener("hashchange", route);
}

wire();
start();
