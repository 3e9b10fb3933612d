// "Your dictionary": list, add, remove, and hear an entry said the way it is written.
import { $, api, apiJson, failed, say, state, withUser } from "./api.js";
import { playStream } from "./try.js";

export function wireDictionary() {
  $("#dict-form").addEventListener("submit", add);
}

export async function loadDictionary() {
  const data = await apiJson(withUser("/api/v1/dictionary"));
  $("#dict-rows").replaceChildren(...data.entries.map(row));
  $("#dict-table").hidden = data.entries.length === 0;
  $("#dict-empty").hidden = data.entries.length > 0;
}

const entryPath = (word) => withUser(`/api/v1/dictionary/${encodeURIComponent(word)}`);

function button(text, className, label, action) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = className;
  node.textContent = text;
  node.setAttribute("aria-label", label);
  node.addEventListener("click", action);
  return node;
}

function row(entry) {
  const tr = document.createElement("tr");
  tr.dataset.word = entry.word;
  const word = document.createElement("td");
  word.textContent = entry.word + (entry.case_sensitive ? " (exact case)" : "");
  const said = document.createElement("td");
  said.textContent = entry.replacement;
  const actions = document.createElement("td");
  actions.className = "actions";
  actions.append(
    button("Try", "secondary", `Hear “${entry.word}”`, () => hear(entry.word)),
    button("Remove", "danger", `Remove “${entry.word}”`, () => remove(entry.word)),
  );
  tr.append(word, said, actions);
  return tr;
}

async function add(event) {
  event.preventDefault();
  const word = $("#word").value.trim();
  try {
    await api(entryPath(word), {
      method: "PUT",
      json: { replacement: $("#replacement").value.trim(), case_sensitive: $("#case").checked },
    });
    $("#dict-form").reset();
    await loadDictionary();
    say(`“${word}” added.`);
    $("#word").focus();
  } catch (error) {
    failed(error);
  }
}

async function remove(word) {
  try {
    await api(entryPath(word), { method: "DELETE" });
    await loadDictionary();
    say(`“${word}” removed.`);
  } catch (error) {
    failed(error);
  }
}

// The word alone, through the same speech endpoint as everything else: the dictionary applies.
async function hear(word) {
  try {
    say(`Saying “${word}”…`);
    const lang = $("#lang").value || undefined;
    const voice = $("#voice").value || undefined;
    await playStream({ input: word, voice, lang_code: lang, user_id: state.user }, $("#dict-player"));
    say(`Said “${word}”.`);
  } catch (error) {
    failed(error);
  }
}
