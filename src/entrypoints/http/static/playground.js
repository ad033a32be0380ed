// The playground (ADR 29): builds an image URL from the form, fetches it, shows the image and
// the answer's headers, and polls the node's cache figures. No framework, no build step.
"use strict";

(() => {
  const PREFIX = "/media_stream-image/";
  const STATUS_EVERY_MS = 5000;
  const SETTLE_MS = 250;
  const $ = (id) => document.getElementById(id);
  const fields = ["path", "width", "height", "fit", "position", "background", "trim",
    "quality", "format"];
  let ticket = 0;
  let shownUrl = null;
  let pending = null;

  function background() {
    const value = $("background").value.trim();
    return value.toLowerCase() === "transparent" ? "transparent" : value.replace(/^#/, "");
  }

  // `media/{tenant}/uploads/{path}` or `static/images/{image}`, each segment percent-encoded
  function encodedPath() {
    const path = $("path").value.trim().replace(/^\/+/, "");
    return path.split("/").map(encodeURIComponent).join("/");
  }

  function imageUrl() {
    const options = [$("width").value, $("height").value, $("fit").value, $("position").value,
      background(), $("trim").value].join("/");
    return `${PREFIX}${encodedPath()}/${options}/${$("quality").value}.${$("format").value}`;
  }

  function bytes(count) {
    if (count < 1024) return `${count} B`;
    const units = ["KiB", "MiB", "GiB"];
    let value = count;
    let unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value.toFixed(1)} ${units[unit]} (${count.toLocaleString("en")} B)`;
  }

  function showHeaders(response, size) {
    const header = (name) => response.headers.get(name) || "–";
    $("h-status").textContent = `${response.status} ${response.statusText}`.trim();
    $("h-type").textContent = header("content-type");
    $("h-size").textContent = bytes(size);
    $("h-cache").textContent = header("x-cache");
    $("h-fallback").textContent = header("x-fallback");
    $("h-timing").textContent = header("server-timing");
  }

  function settle(state, message) {
    $("preview-frame").dataset.state = state;
    $("message").textContent = message || "";
  }

  async function problem(response, blob) {
    try {
      const body = JSON.parse(await blob.text());
      return `${body.status} ${body.code}: ${body.message}`;
    } catch {
      return `${response.status}: not an image`;
    }
  }

  async function preview() {
    const url = imageUrl();
    const mine = ++ticket;
    $("url").value = location.origin + url;
    $("open").href = url;
    settle("loading", "loading…");
    let response;
    let blob;
    try {
      response = await fetch(url, { cache: "no-store" });
      blob = await response.blob();
    } catch (error) {
      if (mine === ticket) settle("error", `request failed: ${error}`);
      return;
    }
    if (mine !== ticket) return; // a newer request is on its way
    showHeaders(response, blob.size);
    $("h-pixels").textContent = "–";
    if (!response.ok || !blob.type.startsWith("image/")) {
      settle("error", await problem(response, blob));
      refreshStatus();
      return;
    }
    show(url, blob, mine);
    refreshStatus();
  }

  function show(url, blob, mine) {
    const image = $("preview");
    const objectUrl = URL.createObjectURL(blob);
    image.onload = () => {
      if (mine !== ticket) return;
      if (shownUrl) URL.revokeObjectURL(shownUrl);
      shownUrl = objectUrl;
      image.dataset.url = url;
      $("h-pixels").textContent = `${image.naturalWidth} × ${image.naturalHeight}`;
      const fallback = $("h-fallback").textContent;
      settle("ready", fallback === "–" ? "" : `fallback image: ${fallback}`);
    };
    image.onerror = () => {
      if (mine === ticket) settle("error", `this browser cannot show ${blob.type}; use Open`);
    };
    image.src = objectUrl;
  }

  function later() {
    $("trim-value").textContent = $("trim").value;
    $("quality-value").textContent = $("quality").value;
    clearTimeout(pending);
    pending = setTimeout(preview, SETTLE_MS);
  }

  function ratio(value) {
    return value === null ? "–" : `${(value * 100).toFixed(1)} %`;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }

  async function refreshStatus() {
    let figures;
    try {
      const response = await fetch("/playground/status", { cache: "no-store" });
      if (!response.ok) return;
      figures = await response.json();
    } catch {
      return;
    }
    const rows = figures.layers.map((layer) => {
      const tr = row([layer.layer, layer.hits, layer.misses, ratio(layer.hitRatio)]);
      tr.dataset.layer = layer.layer;
      return tr;
    });
    $("layers").tBodies[0].replaceChildren(...rows);
    const memory = figures.memory;
    $("s-memory").textContent =
      `${memory.entries} results, ${bytes(memory.bytes)} of ${bytes(memory.maxBytes)}`;
    const stored = figures.storage;
    $("s-storage").textContent = stored === null
      ? "no access index"
      : `${stored.files} files, ${bytes(stored.bytes)} (${stored.level})`;
    $("s-updated").textContent = new Date().toLocaleTimeString("en-GB");
  }

  async function copyUrl() {
    const field = $("url");
    try {
      await navigator.clipboard.writeText(field.value);
      $("copy").textContent = "Copied";
    } catch {
      field.select();
      $("copy").textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { $("copy").textContent = "Copy"; }, 1500);
  }

  async function loadSamples() {
    const select = $("sample");
    let samples = [];
    try {
      const response = await fetch("/playground/samples");
      if (response.ok) samples = (await response.json()).samples;
    } catch {
      samples = [];
    }
    const choices = samples.map((path) => new Option(path, path));
    choices.push(new Option(samples.length ? "other: type a path" : "no samples: type a path", ""));
    select.replaceChildren(...choices);
    const preferred = samples.find((path) => path.endsWith("foo.jpg")) || samples[0] || "";
    select.value = preferred;
    $("path").value = preferred;
  }

  async function start() {
    await loadSamples();
    $("sample").addEventListener("change", () => {
      if ($("sample").value) $("path").value = $("sample").value;
      later();
    });
    $("path").addEventListener("input", () => {
      const known = [...$("sample").options].some((option) => option.value === $("path").value);
      $("sample").value = known ? $("path").value : "";
    });
    $("background-picker").addEventListener("input", () => {
      $("background").value = $("background-picker").value.slice(1).toUpperCase();
      later();
    });
    $("background").addEventListener("input", () => {
      const hex = $("background").value.trim().replace(/^#/, "");
      if (/^[0-9a-f]{6}$/i.test(hex)) $("background-picker").value = `#${hex.toLowerCase()}`;
    });
    for (const id of fields) {
      $(id).addEventListener("input", later);
      $(id).addEventListener("change", later);
    }
    $("options").addEventListener("submit", (event) => event.preventDefault());
    $("copy").addEventListener("click", copyUrl);
    preview();
    setInterval(refreshStatus, STATUS_EVERY_MS);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
