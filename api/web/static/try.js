// "Try voices": text, language and voice (with a blend), speed; play as it streams, download.
import { $, api, apiJson, failed, say, state } from "./api.js";


export async function loadVoices() {
  state.voices = (await apiJson("/v1/audio/voices")).voices;
  const languages = new Map(state.voices.map((v) => [v.lang_code, v.language]));
  const lang = $("#lang");
  lang.replaceChildren(...[...languages].map(([code, name]) => new Option(name, code)));
  fillVoices();
}

export function fillVoices() {
  const lang = $("#lang").value;
  const mine = state.voices.filter((v) => v.lang_code === lang);
  $("#voice").replaceChildren(...mine.map((v) => new Option(v.label, v.name)));
  $("#blend").replaceChildren(new Option("(no blend)", ""), ...state.voices.map((v) => new Option(v.label, v.name)));
  $("#mix").disabled = true;
}

function speechRequest() {
  const first = $("#voice").value;
  const second = $("#blend").value;
  let voice = first;
  if (second && second !== first) {
    const [a, b] = $("#mix").value.split(":");
    voice = `${first}(${a})+${second}(${b})`;
  }
  return {
    input: $("#text").value, voice, speed: Number($("#speed").value),
    lang_code: $("#lang").value, user_id: state.user,
  };
}

export async function speak(event) {
  event.preventDefault();
  const button = $("#speak");
  button.disabled = true;
  try {
    say("Speaking…");
    const request = speechRequest();
    await playStream(request, $("#player"));
    state.lastRequest = request;
    say("Done.");
  } catch (error) {
    failed(error);
  } finally {
    button.disabled = false;
  }
}

// Streams MP3 into the audio element through Media Source Extensions, so playback starts with
// the first chunk the API sends; browsers without MSE for MP3 play the whole clip at the end.
export async function playStream(request, audio) {
  const response = await api("/v1/audio/speech", {
    method: "POST", json: { ...request, response_format: "mp3", stream: true },
  });
  const parts = [];
  const reader = response.body.getReader();
  if (window.MediaSource && MediaSource.isTypeSupported("audio/mpeg")) {
    const source = new MediaSource();
    audio.src = URL.createObjectURL(source);
    await new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
    const buffer = source.addSourceBuffer("audio/mpeg");
    for (let first = true; ; first = false) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      await appendTo(buffer, value);
      if (first) audio.play().catch(() => say("Press play to listen."));
    }
    source.endOfStream();
  } else {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    audio.src = URL.createObjectURL(new Blob(parts, { type: "audio/mpeg" }));
    await audio.play().catch(() => say("Press play to listen."));
  }
  state.clip = new Blob(parts, { type: "audio/mpeg" });
}

function appendTo(buffer, data) {
  return new Promise((resolve, reject) => {
    buffer.addEventListener("updateend", resolve, { once: true });
    buffer.addEventListener("error", reject, { once: true });
    buffer.appendBuffer(data);
  });
}

// A level meter fed by the audio element's own output: shows (and lets a test check) that
// sound is playing.
export function watchLevel() {
  const audio = $("#player");
  const meter = $("#meter");
  let analyser = null;
  audio.addEventListener("play", () => {
    if (analyser === null) {
      const context = new AudioContext();
      analyser = context.createAnalyser();
      context.createMediaElementSource(audio).connect(analyser);
      analyser.connect(context.destination);
      const samples = new Float32Array(analyser.fftSize);
      const tick = () => {
        analyser.getFloatTimeDomainData(samples);
        const level = samples.reduce((peak, s) => Math.max(peak, Math.abs(s)), 0);
        meter.dataset.peak = Math.max(Number(meter.dataset.peak || 0), level).toFixed(4);
        meter.firstElementChild.style.width = `${Math.min(100, level * 200)}%`;
        requestAnimationFrame(tick);
      };
      tick();
    }
  });
}

export async function download(event) {
  event.preventDefault();
  const request = state.lastRequest || speechRequest();
  const format = $("#format").value;
  try {
    say("Preparing the download…");
    const response = await api("/v1/audio/speech", {
      method: "POST", json: { ...request, response_format: format, stream: false },
    });
    saveBlob(await response.blob(), `speech.${format === "opus" ? "ogg" : format}`);
    say("Downloaded.");
  } catch (error) {
    failed(error);
  }
}

function saveBlob(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

export async function saveProject() {
  const request = speechRequest();
  try {
    const body = { text: request.input, voice: request.voice, speed: request.speed,
                   lang_code: request.lang_code, user_id: state.user };
    const created = await apiJson("/api/v1/tts/generate", { method: "POST", json: body });
    say(`Queued as a project (${created.tts_id.slice(0, 8)}).`);
    location.hash = "#projects";
  } catch (error) {
    failed(error);
  }
}
