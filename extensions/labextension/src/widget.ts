// The notebook Annotator's browser side (an anywidget module, echoes.widgets.Annotator):
// the image in OpenSeadragon with the shapes drawn by Annotorious (src/imageview.ts, as
// the JupyterLab view), the legend, the confidence filter and the form. It sends what the
// person did to the kernel (annotator.py), which does all HTTP and answers through the
// synced traits. Bundled with its libraries by esbuild (package.json "build:widget") into
// extensions/echoes/widgets/static/: a notebook needs no network or CDN to show it.

import '../../echoes/widgets/widgets.css';
import { describeRegion, Point, Region } from './geometry';
import { ImageView, Shape, Tool } from './imageview';
import { MOTIVATION_LABELS } from './rules';

/** What the kernel sends for each annotation (echoes.widgets.model.shapes). */
interface WidgetShape {
  id: string;
  group: string;
  box: [number, number, number, number] | null;
  points: Point[] | null;
  text: string;
  tags: string[];
  motivation: string;
  visibility: string;
  creator: string;
  confidence: number | null;
  editable: boolean;
  verdict: string | null;
  /** The replies to it, oldest first. */
  replies: { id: string; text: string; creator: string }[];
}

/** The part of anywidget's model this module uses. */
interface Model {
  get(name: string): any;
  send(message: object): void;
  on(event: string, callback: (message?: any) => void): void;
}

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | ((event: Event) => void)> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else {
      node.setAttribute(key, value);
    }
  }
  node.append(...children);
  return node;
}

function options(select: HTMLSelectElement, values: string[], labels: Record<string, string> = {}) {
  const kept = select.value;
  select.replaceChildren(...values.map(v => h('option', { value: v }, labels[v] ?? v)));
  if (values.includes(kept)) {
    select.value = kept;
  }
}

/** The region of a shape as the kernel sent it (a polygon's points, else its box). */
export function regionOfShape(shape: WidgetShape): Region | null {
  if (shape.points && shape.points.length >= 3) {
    return { kind: 'polygon', points: shape.points };
  }
  if (shape.box) {
    const [x, y, w, hgt] = shape.box;
    return { kind: 'rect', x, y, w, h: hgt };
  }
  return null;
}

function render({ model, el }: { model: Model; el: HTMLElement }): () => void {
  // The groups in the legend's order and their labels, from the view rules (view.json).
  const LABELS: Record<string, string> = Object.fromEntries(
    model.get('legend').map((g: { key: string; label: string }) => [g.key, g.label])
  );
  const state = {
    region: null as Region | null,
    selected: null as string | null,
    editing: null as string | null,
    hidden: new Set<string>(),
    least: 0
  };

  const frame = h('div', { class: 'echoes-stage' });
  const tools = h('div', { class: 'echoes-tools', role: 'toolbar' });
  const title = h('div', { class: 'echoes-title' });
  const legend = h('div', { class: 'echoes-legend' });
  const slider = h('input', { type: 'range', min: '0', max: '1', step: '0.05', value: '0', name: 'confidence' });
  const shownLeast = h('span', {}, '0.00');
  const threshold = h('label', { class: 'echoes-threshold' }, 'proposals with confidence ≥ ', slider, ' ', shownLeast);
  const formTitle = h('div', { class: 'echoes-form-title' });
  const text = h('textarea', { name: 'text', rows: '3', placeholder: 'What do you see?' });
  const tags = h('input', { name: 'tags', placeholder: 'tags, comma separated' });
  const motivation = h('select', { name: 'motivation', title: 'motivation' });
  const visibility = h('select', { name: 'visibility', title: 'who may see it' });
  const buttons = h(
    'div',
    { class: 'echoes-buttons' },
    h('button', { class: 'echoes-save', onclick: () => send('save') }, 'Save'),
    h('button', { class: 'echoes-cancel', onclick: clearForm }, 'Cancel'),
    h('button', { class: 'echoes-refresh', onclick: () => send('refresh') }, 'Refresh')
  );
  const form = h('div', { class: 'echoes-form' }, formTitle, text, tags, motivation, visibility, buttons);
  const details = h('div', { class: 'echoes-details' });
  const status = h('div', { class: 'echoes-status', role: 'status' });
  const side = h('div', { class: 'echoes-side' }, legend, threshold, form, details, status);
  el.append(
    h(
      'div',
      { class: 'echoes-annotator' },
      title,
      h('div', { class: 'echoes-body' }, h('div', { class: 'echoes-viewer' }, tools, frame), side)
    )
  );

  // --- the image: a PNG the kernel sent, shown by OpenSeadragon as a simple image ---
  const url = URL.createObjectURL(new Blob([model.get('image')], { type: 'image/png' }));
  const view = new ImageView(frame, { type: 'image', url, buildPyramid: false }, model.get('source'), {
    opened: drawShapes,
    drawn: region => {
      state.region = region;
      formTitle.textContent = state.editing
        ? `Moved: ${describeRegion(region)}; save to keep it`
        : `New region (${describeRegion(region)}): describe it`;
      text.focus();
    },
    changed: (id, region) => {
      if (state.editing === id) {
        state.region = region;
        formTitle.textContent = `Moved: ${describeRegion(region)}; save to keep it`;
      }
    },
    selected: id => {
      if (id) {
        select(id);
      }
    }
  });
  // For tests and debugging: the view of this frame (OpenSeadragon's viewer, Annotorious).
  (frame as unknown as { echoesView: ImageView }).echoesView = view;
  const toolButtons = new Map<Tool, HTMLButtonElement>();
  function pick(tool: Tool): void {
    view.setTool(tool);
    for (const [name, button] of toolButtons) {
      button.setAttribute('aria-pressed', String(name === tool));
    }
  }
  for (const [tool, label] of [
    ['move', 'Move'],
    ['rectangle', 'Rectangle'],
    ['polygon', 'Polygon']
  ] as [Tool, string][]) {
    const button = h('button', { class: `echoes-tool echoes-tool-${tool}`, onclick: () => pick(tool) }, label);
    toolButtons.set(tool, button);
    tools.append(button);
  }
  tools.append(
    h('button', { class: 'echoes-zoom-in', title: 'Zoom in', onclick: () => view.zoom(1.5) }, '+'),
    h('button', { class: 'echoes-zoom-out', title: 'Zoom out', onclick: () => view.zoom(1 / 1.5) }, '−'),
    h('button', { class: 'echoes-home', title: 'The whole image', onclick: () => view.home() }, 'Whole image')
  );
  frame.addEventListener('keydown', event => event.key === 'Escape' && pick('move'));
  pick('move');

  function visible(shapes: WidgetShape[]): WidgetShape[] {
    return shapes.filter(s => s.group !== 'software' || s.confidence == null || s.confidence >= state.least);
  }

  function drawShapes(): void {
    const shapes: WidgetShape[] = model.get('shapes');
    const drawn: Shape[] = [];
    for (const shape of visible(shapes)) {
      const region = regionOfShape(shape);
      if (region && !state.hidden.has(shape.group)) {
        drawn.push({ id: shape.id, region, group: shape.verdict ?? shape.group, editable: shape.editable });
      }
    }
    if (view.size.width) {
      view.show(drawn);
    }
    threshold.hidden = !shapes.some(s => s.group === 'software' && s.confidence != null);
    drawLegend(shapes);
    drawDetails(shapes);
    const count = `${shapes.length} annotation${shapes.length === 1 ? '' : 's'}`;
    title.textContent = `${model.get('title')} (${count}, you are ${model.get('user')})`;
  }

  function drawLegend(shapes: WidgetShape[]): void {
    legend.replaceChildren();
    for (const group of Object.keys(LABELS)) {
      const count = visible(shapes).filter(s => s.group === group).length;
      if (!count) {
        continue;
      }
      const box = h('input', { type: 'checkbox' });
      box.checked = !state.hidden.has(group);
      box.addEventListener('change', () => {
        box.checked ? state.hidden.delete(group) : state.hidden.add(group);
        drawShapes();
      });
      legend.append(h('label', { class: `echoes-key echoes-${group}` }, box, ` ${LABELS[group]} (${count})`));
    }
  }

  function drawDetails(shapes: WidgetShape[]): void {
    const shape = shapes.find(s => s.id === state.selected);
    details.replaceChildren();
    if (!shape) {
      return;
    }
    const said = MOTIVATION_LABELS[shape.motivation] ?? shape.motivation;
    const facts = [`${LABELS[shape.group]} · ${said} · ${shape.visibility} · by ${shape.creator}`];
    if (shape.confidence != null) {
      facts.push(`confidence ${shape.confidence}`);
    }
    if (shape.verdict) {
      facts.push(`you ${shape.verdict} it`);
    }
    details.append(
      h('div', { class: 'echoes-text' }, shape.text || '(no text)'),
      h('div', { class: 'echoes-tags' }, shape.tags.map(t => `#${t}`).join(' ')),
      h('div', { class: 'echoes-facts' }, facts.join(' · '))
    );
    const actions = h('div', { class: 'echoes-buttons' });
    if (shape.editable) {
      actions.append(
        h('button', { class: 'echoes-edit', onclick: () => edit(shape) }, 'Edit'),
        h('button', { class: 'echoes-delete', onclick: () => send('delete', shape.id) }, 'Delete')
      );
    }
    if (shape.group === 'software') {
      actions.append(
        h('button', { class: 'echoes-accept', onclick: () => send('accept', shape.id) }, 'Accept'),
        h('button', { class: 'echoes-reject', onclick: () => send('reject', shape.id) }, 'Reject')
      );
    }
    actions.append(h('button', { class: 'echoes-reply-open', onclick: () => (thread.hidden = false) }, 'Reply'));
    details.append(actions);
    // The thread under the annotation, and the form to add to it.
    if (shape.replies.length) {
      details.append(
        h(
          'ul',
          { class: 'echoes-replies' },
          ...shape.replies.map(r => h('li', { class: 'echoes-reply' }, r.text, h('span', { class: 'echoes-facts' }, ` — ${r.creator}`)))
        )
      );
    }
    const input = h('input', { name: 'reply', placeholder: 'Your reply', 'aria-label': 'Your reply' });
    const thread = h(
      'div',
      { class: 'echoes-reply-form' },
      input,
      h('button', { class: 'echoes-reply-send', onclick: () => send('reply', shape.id, input.value) }, 'Send')
    );
    thread.hidden = true;
    details.append(thread);
  }

  function select(id: string): void {
    state.selected = id;
    drawDetails(model.get('shapes'));
  }

  // --- the form and the messages to the kernel ---
  function edit(shape: WidgetShape): void {
    state.editing = shape.id;
    state.region = null;
    text.value = shape.text;
    tags.value = shape.tags.join(', ');
    motivation.value = shape.motivation;
    visibility.value = shape.visibility;
    formTitle.textContent = 'Editing your annotation (drag it or its corners to move or resize it)';
    view.select(shape.id, true);
    text.focus();
  }

  function clearForm(): void {
    state.region = null;
    state.editing = null;
    text.value = '';
    tags.value = '';
    formTitle.textContent = 'Pick Rectangle or Polygon and draw on the image to annotate a region';
    view.setDraft(null);
  }

  function send(action: string, id?: string, said?: string): void {
    const message: Record<string, unknown> = { action };
    if (said !== undefined) {
      message.text = said;
    }
    if (action === 'save') {
      Object.assign(message, {
        id: state.editing,
        region: state.region,
        text: text.value,
        tags: tags.value,
        motivation: motivation.value,
        visibility: visibility.value
      });
    } else if (id) {
      message.id = id;
    }
    status.className = 'echoes-status echoes-busy';
    status.textContent = '…';
    model.send(message);
  }

  function showStatus(): void {
    const { kind, text: said } = model.get('status');
    status.className = `echoes-status echoes-${kind || 'none'}`;
    status.textContent = said;
  }

  slider.addEventListener('input', () => {
    state.least = Number(slider.value);
    shownLeast.textContent = state.least.toFixed(2);
    drawShapes();
  });

  let timer: number | undefined;
  function schedule(): void {
    window.clearInterval(timer);
    const seconds = model.get('refresh_every');
    timer = seconds > 0 ? window.setInterval(() => model.send({ action: 'refresh' }), seconds * 1000) : undefined;
  }

  model.on('msg:custom', message => {
    if (message.done && message.done !== 'replied') {
      clearForm(); // a reply leaves a drawn region and the form be
    }
    if (message.done === 'deleted') {
      state.selected = null;
    }
  });
  model.on('change:shapes', drawShapes);
  model.on('change:status', showStatus);
  model.on('change:refresh_every', schedule);
  model.on('change:motivations', () => options(motivation, model.get('motivations'), MOTIVATION_LABELS));
  model.on('change:visibilities', () => options(visibility, model.get('visibilities')));

  options(motivation, model.get('motivations'), MOTIVATION_LABELS);
  options(visibility, model.get('visibilities'));
  drawShapes();
  showStatus();
  clearForm();
  schedule();

  return () => {
    window.clearInterval(timer);
    view.destroy();
    URL.revokeObjectURL(url);
  };
}

export default { render };

// The libraries themselves, for a page that uses Annotorious on its own (the browser test
// that imports what Annotorious writes: tests/e2e/test_lab_browser.py).
export { createOSDAnnotator, W3CImageFormat } from '@annotorious/openseadragon';
export { default as OpenSeadragon } from 'openseadragon';
