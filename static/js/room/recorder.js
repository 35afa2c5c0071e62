// Voice notes: the microphone button records with MediaRecorder (Opus in WebM,
// or AAC in MP4 where that is what the browser makes), shows the elapsed time,
// and Cancel or Send; Send uploads the note (uploads.js) and sends it as a message.

const TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"];

export function durationText(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

export class VoiceRecorder {
  constructor({ button, bar, time, cancel, send, uploads, onRecorded, showError }) {
    Object.assign(this, { button, bar, time, uploads, onRecorded, showError });
    this.recorder = null;
    if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) {
      button.hidden = true; // nothing to record with: no button that cannot work
      return;
    }
    button.addEventListener("click", () => this.start());
    cancel.addEventListener("click", () => this.stop(false));
    send.addEventListener("click", () => this.stop(true));
    bar.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.stop(false);
    });
  }

  async start() {
    if (this.recorder) return;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      this.showError("The microphone is not available: allow it for this site to record a voice note.");
      return;
    }
    const type = TYPES.find((t) => MediaRecorder.isTypeSupported(t));
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks = [];
    recorder.addEventListener("dataavailable", (e) => e.data.size && chunks.push(e.data));
    this.recorder = recorder;
    this.chunks = chunks;
    this.stream = stream;
    this.startedAt = performance.now();
    recorder.start(250);
    this.bar.hidden = false;
    this.button.disabled = true;
    this.tick();
    this.timer = setInterval(() => this.tick(), 250);
    this.bar.querySelector("button:last-of-type")?.focus();
  }

  tick() {
    this.time.textContent = durationText((performance.now() - this.startedAt) / 1000);
  }

  stop(keep) {
    const recorder = this.recorder;
    if (!recorder) return;
    const seconds = (performance.now() - this.startedAt) / 1000;
    clearInterval(this.timer);
    this.recorder = null;
    this.bar.hidden = true;
    this.button.disabled = false;
    this.button.focus();
    recorder.addEventListener(
      "stop",
      () => {
        for (const track of this.stream.getTracks()) track.stop();
        if (!keep) return;
        const type = (recorder.mimeType || "audio/webm").split(";")[0];
        const extension = type.includes("mp4") ? "m4a" : type.includes("ogg") ? "ogg" : "webm";
        const file = new File(this.chunks, `voice note.${extension}`, { type });
        this.uploads.add([file], { voice: true, duration: seconds, onDone: () => this.onRecorded() });
      },
      { once: true },
    );
    recorder.stop();
  }
}
