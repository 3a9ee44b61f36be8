// The AnnotationTable's browser side (an anywidget module): a page of rows with their
// annotations and a tick box each, and a form; the kernel (table.py) does the rest.

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
  // Ticked row numbers, kept across pages.
  const ticked = new Set();

  const table = h("table", { class: "echoes-rows" });
  const pager = h("div", { class: "echoes-pager" });
  const text = h("textarea", {
    name: "text",
    rows: "2",
    placeholder: "What do these rows have in common?",
  });
  const tags = h("input", { name: "tags", placeholder: "tags, comma separated" });
  const motivation = h("select", { name: "motivation", title: "motivation" });
  const visibility = h("select", { name: "visibility", title: "who may see it" });
  const save = h("button", { class: "echoes-save", onclick: () => send({ action: "save" }) });
  const status = h("div", { class: "echoes-status", role: "status" });
  const form = h(
    "div",
    { class: "echoes-form" },
    text,
    tags,
    motivation,
    visibility,
    h(
      "div",
      { class: "echoes-buttons" },
      save,
      h(
        "button",
        { class: "echoes-refresh", onclick: () => send({ action: "refresh" }) },
        "Refresh",
      ),
    ),
  );
  el.append(h("div", { class: "echoes-table" }, table, pager, form, status));

  function drawRows() {
    const head = h(
      "tr",
      {},
      h("th", {}, ""),
      h("th", {}, "row"),
      ...model.get("columns").map((c) => h("th", {}, c)),
      h("th", {}, "annotations"),
    );
    const body = model.get("rows").map(({ row, cells, notes }) => {
      const box = h("input", { type: "checkbox", "data-row": String(row) });
      box.checked = ticked.has(row);
      box.addEventListener("change", () => {
        box.checked ? ticked.add(row) : ticked.delete(row);
        drawSave();
      });
      const said = notes.map((n) => {
        const note = h(
          "div",
          { class: `echoes-note echoes-${n.group}` },
          `${n.creator}: ${n.text} ${n.tags.map((t) => `#${t}`).join(" ")}`,
        );
        if (n.group === "yours") {
          const remove = { class: "echoes-delete", title: "delete your annotation" };
          remove.onclick = () => send({ action: "delete", id: n.id });
          note.append(" ", h("button", remove, "×"));
        }
        return note;
      });
      return h(
        "tr",
        {},
        h("td", {}, box),
        h("td", {}, String(row)),
        ...cells.map((c) => h("td", {}, c)),
        h("td", { class: "echoes-notes" }, ...said),
      );
    });
    table.replaceChildren(h("thead", {}, head), h("tbody", {}, ...body));
    const page = model.get("page");
    const pages = model.get("pages");
    pager.replaceChildren(
      h("button", { onclick: () => send({ action: "page", page: page - 1 }) }, "‹ previous"),
      ` page ${page + 1} of ${pages} (${model.get("total")} rows) `,
      h("button", { onclick: () => send({ action: "page", page: page + 1 }) }, "next ›"),
    );
  }

  function drawSave() {
    save.textContent = `Annotate ${ticked.size} ticked row${ticked.size === 1 ? "" : "s"}`;
    save.disabled = ticked.size === 0;
  }

  function send(message) {
    if (message.action === "save") {
      Object.assign(message, {
        rows: [...ticked],
        text: text.value,
        tags: tags.value,
        motivation: motivation.value,
        visibility: visibility.value,
      });
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
    if (!message.done) return;
    ticked.clear();
    text.value = "";
    tags.value = "";
    drawRows();
    drawSave();
  });
  model.on("change:rows", drawRows);
  model.on("change:status", showStatus);
  model.on("change:refresh_every", schedule);
  model.on("change:motivations", () => options(motivation, model.get("motivations")));
  model.on("change:visibilities", () => options(visibility, model.get("visibilities")));

  options(motivation, model.get("motivations"));
  options(visibility, model.get("visibilities"));
  drawRows();
  drawSave();
  showStatus();
  schedule();
  return () => clearInterval(timer);
}

export default { render };
