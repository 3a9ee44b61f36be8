// The annotation view of a catalog item or an image: the image in OpenSeadragon with its
// annotations drawn by Annotorious (src/imageview.ts), grouped by the view rules
// (src/rules.ts); a rectangle or polygon drawn becomes a region annotation; select one of
// yours to move or resize it, edit and delete yours, reply to any, accept or reject
// proposals (filtered by their confidence). The list is polled so others' new annotations
// and replies appear without reload.

import { Widget } from '@lumino/widgets';

import { apiUrl, request, requestJSON, sendJSON, ServiceError } from './api';
import { el } from './dom';
import { describeRegion, Rect, Region } from './geometry';
import { ImageView, Shape, tileSource, Tool } from './imageview';
import {
  Annotation,
  annotationPage,
  assessment,
  buildAnnotation,
  buildReply,
  confident,
  creatorLabel,
  Draft,
  editedAnnotation,
  errorMessage,
  fingerprint,
  groupAnnotations,
  groupOf,
  isSoftware,
  mainText,
  motivationLabel,
  motivationOf,
  ownerOf,
  parseTags,
  pollMessage,
  regionOf,
  regionTarget,
  servicePath,
  tagsOf,
  textOf,
  threads,
  verdicts
} from './model';
import { ASSESSING, GROUPS, MOTIVATION_LABELS, MOTIVATIONS, REPLYING } from './rules';

export const POLL_MS = 4000;
const CONTAINER = 'containers/default/';
const DRAW_HINT = 'Pick Rectangle or Polygon and draw on the image (or annotate the whole image)';

export interface Me {
  name: string;
  groups: string[];
}

export interface AnnotatorOptions {
  title: string;
  /** The catalog item's IRI (whole-item annotations). */
  item: string;
  /** The image's canvas (region annotations target it) and the image's address. */
  canvas?: { id: string; [key: string]: unknown };
  imageUrl?: string;
  /** The image's IIIF Image API `info.json`, when the entry has one (tiles, deep zoom). */
  imageService?: string;
  /** A region of the image to show first (an object's, from its twin panel). */
  focus?: Rect;
  me: Me;
}

export class AnnotationView extends Widget {
  private view: ImageView | null = null;
  /** A drawn region not saved yet (a new annotation's, or the one being edited, moved). */
  private region: Region | null = null;
  /** The annotation being edited, as read when editing began (its ETag guards the save). */
  private editing: { annotation: Annotation; etag: string } | null = null;
  private items: Annotation[] = [];
  private replies = new Map<string, Annotation[]>();
  /** The viewer's verdicts on proposals; null until read (once, and after each change here). */
  private verdicts: Map<string, string> | null = null;
  /** Proposals below this confidence (0..1) are neither listed nor drawn. */
  private least = 0;
  private seen = '';
  /** Whether the last poll failed (its message shows until one succeeds). */
  private failing = false;
  private timer = 0;
  private form!: HTMLFormElement;
  private message: HTMLElement;
  private lists: HTMLElement;
  private regionLabel!: HTMLElement;
  private threshold!: HTMLElement;

  constructor(private options: AnnotatorOptions) {
    super();
    this.addClass('echoes-Annotator');
    this.title.label = `Annotate: ${options.title}`;
    this.title.closable = true;
    const stage = el('div', { class: 'echoes-Annotator-stage' });
    if (options.imageUrl && options.canvas) {
      stage.append(this.makeImage(options.imageUrl, options.canvas.id));
    } else {
      stage.append(
        el('div', { class: 'echoes-Annotator-item' }, `${options.title}: annotations on the whole entry`)
      );
    }
    const side = el('div', { class: 'echoes-Annotator-side' });
    this.message = el('div', { class: 'echoes-Message', role: 'status' });
    this.lists = el('div', { class: 'echoes-Annotator-lists' });
    side.append(this.makeForm(), this.makeThreshold(), this.message, this.lists);
    this.node.append(stage, side);
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), POLL_MS);
  }

  dispose(): void {
    window.clearInterval(this.timer);
    this.view?.destroy();
    super.dispose();
  }

  /** Zoom to a region of the image (once it is shown; before, when it opens). */
  focusOn(region: Rect): void {
    this.options.focus = region;
    if (this.view?.size.width) {
      this.view.fit(region);
    }
  }

  /** The IRI annotations of this view target (the canvas of an image, else the item). */
  get target(): string {
    return this.options.canvas?.id ?? this.options.item;
  }

  // --- the image: OpenSeadragon and Annotorious ------------------------------------------

  private makeImage(url: string, canvas: string): HTMLElement {
    const tools = el('div', { class: 'echoes-Annotator-tools', role: 'toolbar' });
    const frame = el('div', {
      class: 'echoes-Annotator-frame',
      'aria-label': `${this.options.title}: arrow keys or w a s d pan, + and - zoom, 0 shows all`
    });
    const buttons: Record<Tool, HTMLButtonElement> = {
      move: el('button', { class: 'jp-mod-styled echoes-Tool', 'data-tool': 'move' }, 'Move'),
      rectangle: el('button', { class: 'jp-mod-styled echoes-Tool', 'data-tool': 'rectangle' }, 'Rectangle'),
      polygon: el('button', { class: 'jp-mod-styled echoes-Tool', 'data-tool': 'polygon' }, 'Polygon')
    };
    const pick = (tool: Tool) => {
      this.view?.setTool(tool);
      for (const [name, button] of Object.entries(buttons)) {
        button.setAttribute('aria-pressed', String(name === tool));
      }
    };
    for (const [name, button] of Object.entries(buttons)) {
      button.title =
        name === 'polygon'
          ? 'Draw a polygon: click each corner, click the first one again to close it'
          : name === 'rectangle'
            ? 'Draw a rectangle: drag from one corner to the other'
            : 'Pan and zoom the image; click a shape to select it';
      button.addEventListener('click', () => pick(name as Tool));
      tools.append(button);
    }
    const zoomIn = el('button', { class: 'jp-mod-styled echoes-ZoomIn', title: 'Zoom in' }, '+');
    const zoomOut = el('button', { class: 'jp-mod-styled echoes-ZoomOut', title: 'Zoom out' }, '−');
    const home = el('button', { class: 'jp-mod-styled echoes-Home', title: 'The whole image' }, 'Whole image');
    zoomIn.addEventListener('click', () => this.view?.zoom(1.5));
    zoomOut.addEventListener('click', () => this.view?.zoom(1 / 1.5));
    home.addEventListener('click', () => this.view?.home());
    tools.append(zoomIn, zoomOut, home);
    this.view = new ImageView(frame, tileSource(url, this.options.imageService), canvas, {
      opened: () => {
        this.draw();
        if (this.options.focus) {
          this.view?.fit(this.options.focus);
        }
      },
      drawn: region => this.drawn(region),
      changed: (id, region) => {
        if (this.editing?.annotation.id === id) {
          this.drawn(region);
        }
      },
      selected: id => this.selected(id)
    });
    // For tests and debugging: the view of this frame (OpenSeadragon's viewer, Annotorious).
    (frame as unknown as { echoesView: ImageView }).echoesView = this.view;
    frame.addEventListener('keydown', event => {
      if (event.key === 'Escape') {
        pick('move');
      }
    });
    pick('move');
    const wrap = el('div', { class: 'echoes-Annotator-image' });
    wrap.append(tools, frame);
    return wrap;
  }

  private drawn(region: Region): void {
    this.region = region;
    this.regionLabel.textContent = this.editing
      ? `${describeRegion(region)} (moved: save to keep it)`
      : describeRegion(region);
    (this.form.elements.namedItem('text') as HTMLTextAreaElement).focus();
  }

  private selected(id: string | null): void {
    this.lists.querySelectorAll('.echoes-Item-selected').forEach(n => n.classList.remove('echoes-Item-selected'));
    if (!id) {
      return;
    }
    const item = this.lists.querySelector(`.echoes-Item[data-id="${CSS.escape(id)}"]`);
    item?.classList.add('echoes-Item-selected');
    item?.scrollIntoView({ block: 'nearest' });
    const annotation = this.items.find(a => a.id === id);
    if (annotation && this.mine(annotation) && this.editing?.annotation.id !== id) {
      void this.edit(annotation);
    }
  }

  private mine(annotation: Annotation): boolean {
    return ownerOf(annotation) === this.options.me.name && !isSoftware(annotation);
  }

  // --- the form -------------------------------------------------------------------

  private makeForm(): HTMLFormElement {
    const form = el('form', { class: 'echoes-Annotator-form' });
    const heading = el('h3', { class: 'echoes-Annotator-formTitle' }, 'New annotation');
    this.regionLabel = el('div', { class: 'echoes-Annotator-region' }, this.options.canvas ? DRAW_HINT : '');
    const text = el('textarea', { name: 'text', rows: '3', placeholder: 'What do you see?' });
    const tags = el('input', { name: 'tags', placeholder: 'tags, separated by commas' });
    const motivation = el('select', { name: 'motivation', title: 'Motivation' });
    for (const m of MOTIVATIONS.filter(m => m !== REPLYING)) {
      motivation.append(el('option', { value: m }, MOTIVATION_LABELS[m] ?? m));
    }
    const visibility = el('select', { name: 'visibility', title: 'Who may read it' });
    visibility.append(
      el('option', { value: 'private' }, 'private (only you)'),
      el('option', { value: 'public' }, 'public (every hub user)')
    );
    for (const group of this.options.me.groups) {
      visibility.append(el('option', { value: `group:${group}` }, `group ${group}`));
    }
    const save = el('button', { type: 'submit', class: 'jp-mod-styled jp-mod-accept echoes-Save' }, 'Save');
    const cancel = el('button', { type: 'button', class: 'jp-mod-styled echoes-Cancel' }, 'Clear');
    cancel.addEventListener('click', () => this.resetForm());
    const row = el('div', { class: 'echoes-Annotator-row' });
    row.append(el('label', {}, 'Motivation '), motivation, el('label', {}, ' Visibility '), visibility);
    const buttons = el('div', { class: 'echoes-Annotator-buttons' });
    buttons.append(save, cancel);
    form.append(heading, this.regionLabel, text, tags, row, buttons);
    form.addEventListener('submit', event => {
      event.preventDefault();
      void this.save();
    });
    this.form = form;
    return form;
  }

  /** The confidence slider: shown once proposals with a confidence are there. */
  private makeThreshold(): HTMLElement {
    this.threshold = el('label', { class: 'echoes-Threshold', hidden: '' });
    const slider = el('input', {
      type: 'range',
      name: 'confidence',
      min: '0',
      max: '1',
      step: '0.05',
      value: '0',
      'aria-label': 'Least confidence of the proposals shown'
    });
    const shown = el('span', { class: 'echoes-Threshold-value' }, '0.00');
    slider.addEventListener('input', () => {
      this.least = Number(slider.value);
      shown.textContent = this.least.toFixed(2);
      this.renderLists();
      this.draw();
    });
    this.threshold.append('Proposals with confidence at least ', slider, ' ', shown);
    return this.threshold;
  }

  private field(name: string): HTMLInputElement {
    return this.form.elements.namedItem(name) as HTMLInputElement;
  }

  private draft(): Draft {
    return {
      text: this.field('text').value,
      tags: parseTags(this.field('tags').value),
      motivation: this.field('motivation').value,
      visibility: this.field('visibility').value
    };
  }

  private resetForm(): void {
    this.form.reset();
    this.editing = null;
    this.region = null;
    this.view?.setDraft(null);
    this.form.querySelector('.echoes-Annotator-formTitle')!.textContent = 'New annotation';
    this.regionLabel.textContent = this.options.canvas ? DRAW_HINT : '';
    this.draw();
  }

  private say(text: string, error = false): void {
    this.message.textContent = text;
    this.message.classList.toggle('echoes-Message-error', error);
  }

  private fail(error: unknown): void {
    this.say(error instanceof ServiceError ? error.message : String(error), true);
  }

  private async save(): Promise<void> {
    const draft = this.draft();
    if (!draft.text.trim() && !draft.tags.length) {
      this.say('Write something or give a tag before saving.', true);
      return;
    }
    const canvas = this.options.canvas;
    try {
      if (this.editing) {
        // The ETag read when editing began: a change by someone else meanwhile is refused
        // (412) rather than silently overwritten.
        const { annotation, etag } = this.editing;
        const target = this.region && canvas ? regionTarget(canvas, this.region) : undefined;
        const document = editedAnnotation(annotation, draft, target);
        await request(
          `annotations/${servicePath(annotation.id)}`,
          sendJSON('PUT', document, { 'If-Match': etag })
        );
        this.say('Annotation updated.');
      } else {
        const target = this.region && canvas ? regionTarget(canvas, this.region) : this.options.item;
        await request(`annotations/${CONTAINER}`, sendJSON('POST', buildAnnotation(target, draft)));
        this.say('Annotation saved.');
      }
      this.resetForm();
      await this.refresh(true);
    } catch (error) {
      this.fail(error);
    }
  }

  private async edit(listed: Annotation): Promise<void> {
    let annotation: Annotation;
    let etag: string;
    try {
      const current = await request<Annotation>(`annotations/${servicePath(listed.id)}`);
      [annotation, etag] = [current.data, current.etag ?? ''];
    } catch (error) {
      this.fail(error);
      return;
    }
    this.editing = { annotation, etag };
    this.region = null;
    this.say('');
    this.field('text').value = mainText(annotation);
    this.field('tags').value = tagsOf(annotation).join(', ');
    this.field('motivation').value = motivationOf(annotation);
    this.field('visibility').value = annotation.visibility ?? 'private';
    this.form.querySelector('.echoes-Annotator-formTitle')!.textContent = 'Edit annotation';
    const region = regionOf(annotation, this.view?.size ?? { width: 0, height: 0 });
    this.regionLabel.textContent = region
      ? `${describeRegion(region)}: drag it or its corners on the image to move or resize it`
      : 'Whole item';
    this.view?.select(annotation.id, true);
  }

  private async remove(annotation: Annotation): Promise<void> {
    try {
      await request(`annotations/${servicePath(annotation.id)}`, { method: 'DELETE' });
      this.say('Annotation deleted.');
      if (this.editing?.annotation.id === annotation.id) {
        this.resetForm();
      }
      await this.refresh(true);
    } catch (error) {
      this.fail(error);
    }
  }

  private async assess(annotation: Annotation, verdict: 'accepted' | 'rejected'): Promise<void> {
    try {
      await request(`annotations/${CONTAINER}`, sendJSON('POST', assessment(annotation.id, verdict)));
      this.say(`Proposal ${verdict}.`);
      this.verdicts = null; // read them again
      await this.refresh(true);
    } catch (error) {
      this.fail(error);
    }
  }

  private async reply(annotation: Annotation, text: string): Promise<boolean> {
    if (!text.trim()) {
      this.say('Write your reply first.', true);
      return false;
    }
    // A reply is as visible as what it answers (a private note's reply stays private).
    const visibility = annotation.visibility ?? 'private';
    try {
      await request(`annotations/${CONTAINER}`, sendJSON('POST', buildReply(annotation.id, text, visibility)));
      this.say('Reply saved.');
      await this.refresh(true);
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  // --- reading and drawing annotations ---------------------------------------------

  private async search(query: string): Promise<Annotation[]> {
    const found: Annotation[] = [];
    let path = `annotations/search?${query}`;
    for (let count = 0; count < 10; count++) {
      const reply = await requestJSON<unknown>(path);
      const page = annotationPage(reply);
      if (!page) {
        // A 2xx that is no page: an error body's own message, else what it is not.
        const fallback = 'your server answered with something other than annotations';
        throw new ServiceError(200, errorMessage(200, reply, fallback), reply);
      }
      found.push(...page.items);
      if (!page.next) {
        break;
      }
      path = `annotations/${servicePath(page.next)}`;
    }
    return found;
  }

  async refresh(force = false): Promise<void> {
    try {
      const me = this.options.me.name;
      const items = await this.search(`target=${encodeURIComponent(this.target)}`);
      // Replies target annotations, not the canvas: those the viewer may read, kept when
      // they answer one shown here.
      const shown = new Set(items.map(a => a.id));
      const replies = (await this.search(`motivation=${REPLYING}`)).filter(
        r => typeof r.target === 'string' && shown.has(r.target)
      );
      // Only the viewer's own verdicts show: they are read when proposals first show and
      // after each Accept or Reject here, not on every poll (one given in a notebook
      // meanwhile shows when the view is opened again).
      if (this.verdicts === null && items.some(isSoftware)) {
        const query = `creator=${encodeURIComponent(me)}&motivation=${ASSESSING}`;
        this.verdicts = verdicts(await this.search(query), me);
      }
      if (this.failing) {
        // Back after a failed poll: the message about it goes.
        this.failing = false;
        this.say('');
      }
      const changed =
        fingerprint([...items, ...replies]) + JSON.stringify([...(this.verdicts ?? [])]);
      if (!force && changed === this.seen) {
        return;
      }
      this.seen = changed;
      this.items = items;
      this.replies = threads(replies);
      this.threshold.hidden = !items.some(a => isSoftware(a) && typeof a.confidence === 'number');
      this.renderLists();
      this.draw();
    } catch (error) {
      // Keep what was shown; the next poll tries again.
      this.failing = true;
      const status = error instanceof ServiceError ? error.status : 0;
      const message = error instanceof Error ? error.message : String(error);
      this.say(pollMessage(status, message), true);
    }
  }

  /** The annotations shown: proposals below the confidence threshold are left out. */
  private shownItems(): Annotation[] {
    return this.items.filter(a => confident(a, this.least));
  }

  private draw(): void {
    const view = this.view;
    if (!view || !view.size.width) {
      return;
    }
    const me = this.options.me.name;
    const shapes: Shape[] = [];
    for (const annotation of this.shownItems()) {
      const region = regionOf(annotation, view.size);
      if (!region || motivationOf(annotation) === ASSESSING) {
        continue;
      }
      const verdict = this.verdicts?.get(annotation.id);
      const group = groupOf(annotation, me);
      shapes.push({
        id: annotation.id,
        region,
        group: group === 'software' && verdict ? verdict : group,
        editable: this.mine(annotation)
      });
    }
    view.show(shapes);
  }

  private renderLists(): void {
    const groups = groupAnnotations(this.shownItems(), this.options.me.name);
    this.lists.replaceChildren();
    for (const { key, label } of GROUPS) {
      if (key === 'others' && !groups.others.length) {
        continue; // only an administrator has any: do not puzzle everyone else with it
      }
      const section = el('section', { class: `echoes-Group echoes-Group-${key}`, 'data-group': key });
      section.append(el('h4', {}, `${label} (${groups[key].length})`));
      const ul = el('ul');
      for (const annotation of groups[key]) {
        ul.append(this.renderItem(annotation, key === 'software'));
      }
      section.append(ul);
      this.lists.append(section);
    }
  }

  private renderItem(annotation: Annotation, proposal: boolean): HTMLElement {
    const li = el('li', { class: 'echoes-Item', 'data-id': annotation.id, tabindex: '0' });
    li.append(el('div', { class: 'echoes-Item-text' }, textOf(annotation) || '(no text)'));
    const tags = tagsOf(annotation);
    const facts = [
      motivationLabel(annotation),
      creatorLabel(annotation),
      annotation.visibility ?? '',
      tags.length ? `tags: ${tags.join(', ')}` : '',
      annotation.confidence !== undefined ? `confidence ${annotation.confidence}` : ''
    ].filter(Boolean);
    li.append(el('div', { class: 'echoes-Item-facts' }, facts.join(' · ')));
    const buttons = el('div', { class: 'echoes-Item-buttons' });
    if (proposal) {
      const verdict = this.verdicts?.get(annotation.id);
      if (verdict) {
        li.classList.add(`echoes-Item-${verdict}`);
        buttons.append(el('span', { class: 'echoes-Verdict' }, `you ${verdict} it`));
      }
      const accept = el('button', { class: 'jp-mod-styled echoes-Accept' }, 'Accept');
      accept.addEventListener('click', () => void this.assess(annotation, 'accepted'));
      const reject = el('button', { class: 'jp-mod-styled echoes-Reject' }, 'Reject');
      reject.addEventListener('click', () => void this.assess(annotation, 'rejected'));
      buttons.append(accept, reject);
    }
    if (this.mine(annotation)) {
      const edit = el('button', { class: 'jp-mod-styled echoes-Edit' }, 'Edit');
      edit.addEventListener('click', () => void this.edit(annotation));
      const remove = el('button', { class: 'jp-mod-styled jp-mod-warn echoes-Delete' }, 'Delete');
      remove.addEventListener('click', () => void this.remove(annotation));
      buttons.append(edit, remove);
    }
    const replyButton = el('button', { class: 'jp-mod-styled echoes-ReplyOpen' }, 'Reply');
    buttons.append(replyButton);
    li.append(buttons);
    li.append(this.renderThread(annotation, replyButton));
    if (this.view) {
      // The keyboard's way to a shape: Enter on the item selects it and brings it into
      // view (the view ignores an annotation it does not draw, e.g. one on the whole item).
      li.addEventListener('keydown', event => {
        if (event.key === 'Enter' && event.target === li) {
          this.view?.select(annotation.id, this.mine(annotation), true);
        }
      });
      li.addEventListener('mouseenter', () => this.view?.highlight(annotation.id));
      li.addEventListener('mouseleave', () => this.view?.highlight(null));
      li.addEventListener('focus', () => this.view?.highlight(annotation.id));
      li.addEventListener('blur', () => this.view?.highlight(null));
    }
    return li;
  }

  /** The replies under an annotation, oldest first, and the form to add one. */
  private renderThread(annotation: Annotation, open: HTMLButtonElement): HTMLElement {
    const thread = el('div', { class: 'echoes-Thread' });
    const replies = this.replies.get(annotation.id) ?? [];
    if (replies.length) {
      const ul = el('ul', { class: 'echoes-Replies', 'aria-label': `${replies.length} replies` });
      for (const reply of replies) {
        const li = el('li', { class: 'echoes-Reply', 'data-id': reply.id });
        li.append(
          el('span', { class: 'echoes-Reply-text' }, textOf(reply)),
          el('span', { class: 'echoes-Reply-by' }, ` — ${creatorLabel(reply)}`)
        );
        if (this.mine(reply)) {
          const remove = el('button', { class: 'jp-mod-styled echoes-Reply-delete', title: 'Delete your reply' }, '×');
          remove.addEventListener('click', () => void this.remove(reply));
          li.append(remove);
        }
        ul.append(li);
      }
      thread.append(ul);
    }
    const form = el('form', { class: 'echoes-ReplyForm', hidden: '' });
    const input = el('input', { name: 'reply', placeholder: 'Your reply', 'aria-label': 'Your reply' });
    const send = el('button', { type: 'submit', class: 'jp-mod-styled jp-mod-accept echoes-ReplySend' }, 'Send');
    form.append(input, send);
    form.addEventListener('submit', event => {
      event.preventDefault();
      void this.reply(annotation, input.value).then(done => {
        if (done) {
          form.hidden = true;
        }
      });
    });
    open.addEventListener('click', () => {
      form.hidden = false;
      input.focus();
    });
    thread.append(form);
    return thread;
  }
}

export function imageUrl(path: string): string {
  return apiUrl(`catalog/image/${encodeURIComponent(path)}`);
}
