// The Annotator's browser side (an anywidget module): draws the image, the outlines and
// the form, and sends what the person did to the kernel (annotator.py). No HTTP here:
// the kernel talks to the annotation service and answers through the synced traits.

const SVG = "http://www.w3.org/2000/svg";
// Below this many screen pixels a mouse gesture is a click, not a rectangle.
const MIN_DRAG = 4;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

function options(select, values) {
  const kept = select.value;
  select.replaceChildren(...values.map((v) => h("option", { value: v }, v)));
  if (values.includes(kept)) select.value = kept;
}

function render({ model, el }) {
  // The groups in the legend's order and their labels, from the view rules (view.json).
  const LABELS = Object.fromEntries(model.get("legend").map((g) => [g.key, g.label]));
  const state = { draft: null, selected: null, editing: null, hidden: new Set() };
  let start = null;
  let dragged = false;

  const img = h("img", { class: "echoes-image", alt: "", draggable: "false" });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("preserveAspectRatio", "none");
  const draftBox = h("div", { class: "echoes-draft" });
  const stage = h("div", { class: "echoes-stage" }, img, svg, draftBox);
  const title = h("div", { class: "echoes-title" });
  const legend = h("div", { class: "echoes-legend" });
  const formTitle = h("div", { class: "echoes-form-title" });
  const text = h("textarea", { name: "text", rows: "3", placeholder: "What do you see?" });
  const tags = h("input", { name: "tags", placeholder: "tags, comma separated" });
  const motivation = h("select", { name: "motivation", title: "motivation" });
  const visibility = h("select", { name: "visibility", title: "who may see it" });
  const buttons = h(
    "div",
    { class: "echoes-buttons" },
    h("button", { class: "echoes-save", onclick: () => send("save") }, "Save"),
    h("button", { class: "echoes-cancel", onclick: clearForm }, "Cancel"),
    h("button", { class: "echoes-refresh", onclick: () => send("refresh") }, "Refresh"),
  );
  const form = h(
    "div",
    { class: "echoes-form" },
    formTitle,
    text,
    tags,
    motivation,
    visibility,
    buttons,
  );
  const details = h("div", { class: "echoes-details" });
  const status = h("div", { class: "echoes-status", role: "status" });
  const side = h("div", { class: "echoes-side" }, legend, form, details, status);
  el.append(
    h("div", { class: "echoes-annotator" }, title, h("div", { class: "echoes-body" }, stage, side)),
  );

  // --- the image and its outlines (in image pixels, through the SVG viewBox) ---
  let url = null;
  function showImage() {
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(new Blob([model.get("image")], { type: "image/png" }));
    img.src = url;
    svg.setAttribute("viewBox", `0 0 ${model.get("width")} ${model.get("height")}`);
  }

  function drawShapes() {
    const shapes = model.get("shapes");
    svg.replaceChildren();
    for (const shape of shapes) {
      if (!shape.box || state.hidden.has(shape.group)) continue;
      const [x, y, w, hgt] = shape.box;
      const rect = document.createElementNS(SVG, "rect");
      for (const [k, v] of Object.entries({ x, y, width: w, height: hgt })) rect.setAttribute(k, v);
      let cls = `echoes-shape echoes-${shape.group}`;
      if (shape.verdict) cls += ` echoes-${shape.verdict}`;
      if (shape.id === state.selected) cls += " echoes-selected";
      rect.setAttribute("class", cls);
      rect.setAttribute("vector-effect", "non-scaling-stroke");
      rect.dataset.id = shape.id;
      const tip = document.createElementNS(SVG, "title");
      tip.textContent = `${LABELS[shape.group]}: ${shape.text}`;
      rect.append(tip);
      rect.addEventListener("click", () => dragged || select(shape.id));
      svg.append(rect);
    }
    drawLegend(shapes);
    drawDetails(shapes);
    const count = `${shapes.length} annotation${shapes.length === 1 ? "" : "s"}`;
    title.textContent = `${model.get("title")} (${count}, you are ${model.get("user")})`;
  }

  function drawLegend(shapes) {
    legend.replaceChildren();
    for (const group of Object.keys(LABELS)) {
      const count = shapes.filter((s) => s.group === group).length;
      if (!count) continue;
      const box = h("input", { type: "checkbox" });
      box.checked = !state.hidden.has(group);
      box.addEventListener("change", () => {
        box.checked ? state.hidden.delete(group) : state.hidden.add(group);
        drawShapes();
      });
      legend.append(
        h("label", { class: `echoes-key echoes-${group}` }, box, ` ${LABELS[group]} (${count})`),
      );
    }
  }

  function drawDetails(shapes) {
    const shape = shapes.find((s) => s.id === state.selected);
    details.replaceChildren();
    if (!shape) return;
    const facts = [
      `${LABELS[shape.group]} · ${shape.motivation} · ${shape.visibility} · by ${shape.creator}`,
    ];
    if (shape.confidence != null) facts.push(`confidence ${shape.confidence}`);
    if (shape.verdict) facts.push(`you ${shape.verdict} it`);
    details.append(
      h("div", { class: "echoes-text" }, shape.text || "(no text)"),
      h("div", { class: "echoes-tags" }, shape.tags.map((t) => `#${t}`).join(" ")),
      h("div", { class: "echoes-facts" }, facts.join(" · ")),
    );
    const actions = h("div", { class: "echoes-buttons" });
    if (shape.editable) {
      actions.append(
        h("button", { class: "echoes-edit", onclick: () => edit(shape) }, "Edit"),
        h("button", { class: "echoes-delete", onclick: () => send("delete", shape.id) }, "Delete"),
      );
    }
    if (shape.group === "software") {
      actions.append(
        h("button", { class: "echoes-accept", onclick: () => send("accept", shape.id) }, "Accept"),
        h("button", { class: "echoes-reject", onclick: () => send("reject", shape.id) }, "Reject"),
      );
    }
    details.append(actions);
  }

  function select(id) {
    state.selected = id;
    drawShapes();
  }

  // --- drawing a rectangle (in screen pixels; the kernel turns them into image pixels) ---
  function point(event) {
    const box = img.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  function displaySize() {
    const box = img.getBoundingClientRect();
    return { width: box.width, height: box.height };
  }

  function drawDraft() {
    const d = state.draft;
    draftBox.style.display = d ? "block" : "none";
    if (!d) return;
    draftBox.style.left = `${Math.min(d.x, d.x + d.w)}px`;
    draftBox.style.top = `${Math.min(d.y, d.y + d.h)}px`;
    draftBox.style.width = `${Math.abs(d.w)}px`;
    draftBox.style.height = `${Math.abs(d.h)}px`;
  }

  stage.addEventListener("mousedown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    start = point(event);
    dragged = false;
  });
  const onMove = (event) => {
    if (!start) return;
    const p = point(event);
    const rect = { x: start.x, y: start.y, w: p.x - start.x, h: p.y - start.y };
    if (dragged || Math.abs(rect.w) > MIN_DRAG || Math.abs(rect.h) > MIN_DRAG) {
      dragged = true;
      state.draft = rect;
      drawDraft();
    }
  };
  const onUp = () => {
    if (start && dragged) {
      formTitle.textContent = state.editing
        ? "Move your annotation here"
        : "New region: describe it";
      text.focus();
    }
    start = null;
  };
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);

  // --- the form and the messages to the kernel ---
  function edit(shape) {
    state.editing = shape.id;
    text.value = shape.text;
    tags.value = shape.tags.join(", ");
    motivation.value = shape.motivation;
    visibility.value = shape.visibility;
    formTitle.textContent = "Editing your annotation (draw to move it)";
    text.focus();
  }

  function clearForm() {
    state.draft = null;
    state.editing = null;
    text.value = "";
    tags.value = "";
    formTitle.textContent = "Draw a rectangle on the image to annotate a region";
    drawDraft();
  }

  function send(action, id) {
    const message = { action };
    if (action === "save") {
      Object.assign(message, {
        id: state.editing,
        rect: state.draft,
        display: displaySize(),
        text: text.value,
        tags: tags.value,
        motivation: motivation.value,
        visibility: visibility.value,
      });
    } else if (id) {
      message.id = id;
    }
    status.className = "echoes-status echoes-busy";
    status.textContent = "…";
    model.send(message);
  }

  function showStatus() {
    const { kind, text: said } = model.get("status");
    status.className = `echoes-status echoes-${kind || "none"}`;
    status.textContent = said;
  }

  let timer = null;
  function schedule() {
    clearInterval(timer);
    const seconds = model.get("refresh_every");
    timer =
      seconds > 0 ? setInterval(() => model.send({ action: "refresh" }), seconds * 1000) : null;
  }

  model.on("msg:custom", (message) => {
    if (message.done) clearForm();
    if (message.done === "deleted") state.selected = null;
  });
  model.on("change:image", showImage);
  model.on("change:shapes", drawShapes);
  model.on("change:status", showStatus);
  model.on("change:refresh_every", schedule);
  model.on("change:motivations", () => options(motivation, model.get("motivations")));
  model.on("change:visibilities", () => options(visibility, model.get("visibilities")));

  options(motivation, model.get("motivations"));
  options(visibility, model.get("visibilities"));
  showImage();
  drawShapes();
  showStatus();
  clearForm();
  schedule();

  return () => {
    clearInterval(timer);
    window.removeEventListener("mousemove", onMove);
    window.removeEventListener("mouseup", onUp);
    if (url) URL.revokeObjectURL(url);
  };
}

export default { render };
