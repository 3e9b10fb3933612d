// "Your projects": the signed-in user's jobs, followed live while they run; play, download,
// delete.
import { $, api, apiJson, failed, say, state, withUser } from "./api.js";

const ACTIVE = new Set(["pending", "processing"]);

export function wireProjects() {
  $("#refresh").addEventListener("click", () => loadProjects().catch(failed));
}

export async function loadProjects() {
  const page = await apiJson(withUser("/api/v1/tts/?limit=50"));
  $("#projects").replaceChildren(...page.items.map(card));
  $("#projects-empty").hidden = page.items.length > 0;
  for (const project of page.items) if (ACTIVE.has(project.status)) follow(project.tts_id);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function statusText(project) {
  if (project.status === "pending" && project.position) return `waiting (#${project.position} in the queue)`;
  if (project.status === "processing") return `working, ${project.progress}%`;
  return project.status;
}

function card(project) {
  const item = element("li");
  item.id = `project-${project.tts_id}`;
  const excerpt = project.text.length > 60 ? `${project.text.slice(0, 60)}…` : project.text;
  const meta = element("div", "meta");
  const progress = element("progress");
  progress.max = 100;
  progress.setAttribute("aria-label", `Progress of “${excerpt}”`);
  const remove = element("button", "danger", "Delete");
  remove.type = "button";
  remove.setAttribute("aria-label", `Delete “${excerpt}”`);
  remove.addEventListener("click", () => confirmDelete(project.tts_id, remove));
  meta.append(element("span", "badge"), progress,
              element("span", "", `${project.voice} · ${project.speed}× · ${new Date(project.created_at).toLocaleString()}`),
              remove);
  item.append(element("p", "text", project.text), meta, element("div", "audio"), element("p", "error"));
  update(item, project);
  return item;
}

// Shows a project's state (from the list or from a progress event) on its card.
function update(item, project) {
  item.dataset.status = project.status;
  const badge = item.querySelector(".badge");
  badge.className = `badge ${project.status}`;
  badge.textContent = statusText(project);
  const progress = item.querySelector("progress");
  progress.value = project.progress;
  progress.hidden = project.status !== "processing" && project.status !== "pending";
  item.querySelector(".error").textContent = project.status === "completed" ? "" : (project.error || "");
  const slot = item.querySelector(".audio");
  if (project.status === "completed" && project.audio_url && !slot.firstChild) {
    const audio = element("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = project.audio_url;
    const link = element("a", "", "Download (WAV)");
    link.href = project.audio_url;
    link.download = `${project.tts_id}.wav`;
    slot.append(audio, link);
  }
}

// One request per running job: its progress arrives as server-sent events until it ends.
async function follow(id) {
  if (state.follows.has(id)) return;
  const controller = new AbortController();
  state.follows.set(id, controller);
  try {
    const response = await api(`/api/v1/tts/${id}/events`, { signal: controller.signal });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += value;
      let cut;
      while ((cut = pending.indexOf("\n\n")) >= 0) {
        const block = pending.slice(0, cut);
        pending = pending.slice(cut + 2);
        for (const line of block.split("\n")) {
          if (!line.startsWith("data: ")) continue;
          const event = JSON.parse(line.slice(6));
          const item = document.getElementById(`project-${event.tts_id}`);
          if (item) update(item, { ...event, progress: event.progress });
        }
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") failed(error);
  } finally {
    state.follows.delete(id);
  }
}

// Deleting asks once more on the same button, so a stray click or key press deletes nothing.
async function confirmDelete(id, button) {
  if (button.dataset.armed !== "yes") {
    button.dataset.armed = "yes";
    button.textContent = "Really delete?";
    setTimeout(() => { button.dataset.armed = ""; button.textContent = "Delete"; }, 5000);
    return;
  }
  try {
    state.follows.get(id)?.abort();
    await api(`/api/v1/tts/${id}`, { method: "DELETE" });
    document.getElementById(`project-${id}`)?.remove();
    $("#projects-empty").hidden = $("#projects").children.length > 0;
    say("Project deleted.");
  } catch (error) {
    failed(error);
  }
}
