// The annotation view of a catalog item or an image: the image with annotations drawn as
// outlines (grouped by the view rules, src/rules.ts), a rectangle drawn
// with the mouse becomes a region annotation; edit and delete your own, accept or reject
// proposals. The list is polled so others' new annotations appear without reload.

import { Widget } from '@lumino/widgets';

import { apiUrl, request, requestJSON, sendJSON, ServiceError } from './api';
import { el } from './dom';
import { Point, Rect, Size, spanned, toImage } from './geometry';
import {
  Annotation,
  annotationPage,
  assessment,
  buildAnnotation,
  creatorLabel,
  Draft,
  editedAnnotation,
  errorMessage,
  fingerprint,
  groupAnnotations,
  isSoftware,
  mainText,
  motivationOf,
  ownerOf,
  parseTags,
  pollMessage,
  regionOf,
  regionTarget,
  servicePath,
  tagsOf,
  textOf,
  verdicts
} from './model';
import { ASSESSING, GROUPS, MOTIVATIONS } from './rules';

const SVG = 'http://www.w3.org/2000/svg';
export const POLL_MS = 4000;
const CONTAINER = 'containers/default/';

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
  me: Me;
}

export class AnnotationView extends Widget {
  private svg: SVGSVGElement | null = null;
  private image: HTMLImageElement | null = null;
  private draftRect: SVGRectElement | null = null;
  private region: Rect | null = null;
  private dragStart: Point | null = null;
  /** The annotation being edited, as read when editing began (its ETag guards the save). */
  private editing: { annotation: Annotation; etag: string } | null = null;
  private items: Annotation[] = [];
  /** The viewer's verdicts on proposals; null until read (once, and after each change here). */
  private verdicts: Map<string, string> | null = null;
  private seen = '';
  /** Whether the last poll failed (its message shows until one succeeds). */
  private failing = false;
  private timer = 0;
  private form!: HTMLFormElement;
  private message: HTMLElement;
  private lists: HTMLElement;
  private regionLabel!: HTMLElement;

  constructor(private options: AnnotatorOptions) {
    super();
    this.addClass('echoes-Annotator');
    this.title.label = `Annotate: ${options.title}`;
    this.title.closable = true;
    const stage = el('div', { class: 'echoes-Annotator-stage' });
    if (options.imageUrl && options.canvas) {
      stage.append(this.makeImage(options.imageUrl));
    } else {
      stage.append(
        el('div', { class: 'echoes-Annotator-item' }, `${options.title}: annotations on the whole entry`)
      );
    }
    const side = el('div', { class: 'echoes-Annotator-side' });
    this.message = el('div', { class: 'echoes-Message', role: 'status' });
    this.lists = el('div', { class: 'echoes-Annotator-lists' });
    side.append(this.makeForm(), this.message, this.lists);
    this.node.append(stage, side);
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), POLL_MS);
  }

  dispose(): void {
    window.clearInterval(this.timer);
    super.dispose();
  }

  /** The IRI annotations of this view target (the canvas of an image, else the item). */
  get target(): string {
    return this.options.canvas?.id ?? this.options.item;
  }

  // --- the image and drawing ------------------------------------------------------

  private makeImage(url: string): HTMLElement {
    const frame = el('div', { class: 'echoes-Annotator-frame' });
    const image = el('img', { class: 'echoes-Annotator-image', src: url, alt: this.options.title });
    image.draggable = false;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'echoes-Annotator-overlay');
    svg.setAttribute('preserveAspectRatio', 'none');
    image.addEventListener('load', () => {
      svg.setAttribute('viewBox', `0 0 ${image.naturalWidth} ${image.naturalHeight}`);
      frame.dataset.ready = 'true';
      this.draw();
    });
    svg.addEventListener('mousedown', event => this.startDrag(event));
    svg.addEventListener('mousemove', event => this.moveDrag(event));
    window.addEventListener('mouseup', event => this.endDrag(event));
    frame.append(image, svg);
    this.image = image;
    this.svg = svg;
    return frame;
  }

  private displayPoint(event: MouseEvent): Point {
    const box = this.svg!.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  private imageRect(a: Point, b: Point): Rect | null {
    const box = this.svg!.getBoundingClientRect();
    return toImage(spanned(a, b), { width: box.width, height: box.height }, this.imageSize());
  }

  /** The image's own size in pixels (percent regions are of it); 0 × 0 for an item. */
  private imageSize(): Size {
    return { width: this.image?.naturalWidth ?? 0, height: this.image?.naturalHeight ?? 0 };
  }

  private startDrag(event: MouseEvent): void {
    if (event.button !== 0) {
      return;
    }
    event.preventDefault();
    this.dragStart = this.displayPoint(event);
  }

  private moveDrag(event: MouseEvent): void {
    if (this.dragStart) {
      this.showDraft(this.imageRect(this.dragStart, this.displayPoint(event)));
    }
  }

  private endDrag(event: MouseEvent): void {
    if (!this.dragStart || !this.svg) {
      return;
    }
    const rect = this.imageRect(this.dragStart, this.displayPoint(event));
    this.dragStart = null;
    if (rect) {
      this.region = rect;
      this.showDraft(rect);
      this.regionLabel.textContent = `Region x ${rect.x}, y ${rect.y}, ${rect.w} × ${rect.h} px`;
      (this.form.elements.namedItem('text') as HTMLTextAreaElement).focus();
    }
  }

  private showDraft(rect: Rect | null): void {
    if (!this.svg) {
      return;
    }
    if (!this.draftRect) {
      this.draftRect = document.createElementNS(SVG, 'rect');
      this.draftRect.setAttribute('class', 'echoes-Outline echoes-Outline-draft');
    }
    if (!rect) {
      this.draftRect.remove();
      return;
    }
    this.setRect(this.draftRect, rect);
    this.svg.append(this.draftRect);
  }

  private setRect(node: SVGRectElement, rect: Rect): void {
    node.setAttribute('x', String(rect.x));
    node.setAttribute('y', String(rect.y));
    node.setAttribute('width', String(rect.w));
    node.setAttribute('height', String(rect.h));
  }

  // --- the form -------------------------------------------------------------------

  private makeForm(): HTMLFormElement {
    const form = el('form', { class: 'echoes-Annotator-form' });
    const heading = el('h3', { class: 'echoes-Annotator-formTitle' }, 'New annotation');
    this.regionLabel = el(
      'div',
      { class: 'echoes-Annotator-region' },
      this.options.canvas ? 'Draw a rectangle on the image (or annotate the whole image)' : ''
    );
    const text = el('textarea', { name: 'text', rows: '3', placeholder: 'What do you see?' });
    const tags = el('input', { name: 'tags', placeholder: 'tags, separated by commas' });
    const motivation = el('select', { name: 'motivation', title: 'Motivation' });
    for (const m of MOTIVATIONS) {
      motivation.append(el('option', { value: m }, m));
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
    row.append(
      el('label', {}, 'Motivation '),
      motivation,
      el('label', {}, ' Visibility '),
      visibility
    );
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
    this.showDraft(null);
    this.form.querySelector('.echoes-Annotator-formTitle')!.textContent = 'New annotation';
    this.regionLabel.textContent = this.options.canvas
      ? 'Draw a rectangle on the image (or annotate the whole image)'
      : '';
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
    try {
      if (this.editing) {
        // The ETag read when editing began: a change by someone else meanwhile is refused
        // (412) rather than silently overwritten.
        const { annotation, etag } = this.editing;
        const document = editedAnnotation(annotation, draft);
        await request(
          `annotations/${servicePath(annotation.id)}`,
          sendJSON('PUT', document, { 'If-Match': etag })
        );
        this.say('Annotation updated.');
      } else {
        const target =
          this.region && this.options.canvas
            ? regionTarget(this.options.canvas, this.region)
            : this.options.item;
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
    this.say('');
    this.field('text').value = mainText(annotation);
    this.field('tags').value = tagsOf(annotation).join(', ');
    this.field('motivation').value = motivationOf(annotation);
    this.field('visibility').value = annotation.visibility ?? 'private';
    this.form.querySelector('.echoes-Annotator-formTitle')!.textContent = 'Edit annotation';
    const rect = regionOf(annotation, this.imageSize());
    this.regionLabel.textContent = rect
      ? `Region x ${rect.x}, y ${rect.y}, ${rect.w} × ${rect.h} px`
      : 'Whole item';
  }

  private async remove(annotation: Annotation): Promise<void> {
    try {
      await request(`annotations/${servicePath(annotation.id)}`, { method: 'DELETE' });
      this.say('Annotation deleted.');
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
      const changed = fingerprint(items) + JSON.stringify([...(this.verdicts ?? [])]);
      if (!force && changed === this.seen) {
        return;
      }
      this.seen = changed;
      this.items = items;
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

  private draw(): void {
    if (!this.svg) {
      return;
    }
    this.svg.querySelectorAll('.echoes-Outline:not(.echoes-Outline-draft)').forEach(n => n.remove());
    const groups = groupAnnotations(this.items, this.options.me.name);
    for (const { key } of GROUPS) {
      for (const annotation of groups[key]) {
        const rect = regionOf(annotation, this.imageSize());
        if (!rect) {
          continue;
        }
        const node = document.createElementNS(SVG, 'rect');
        node.setAttribute('class', `echoes-Outline echoes-Outline-${key}`);
        node.setAttribute('data-id', annotation.id);
        this.setRect(node, rect);
        const title = document.createElementNS(SVG, 'title');
        title.textContent = `${textOf(annotation)} — ${creatorLabel(annotation)}`;
        node.append(title);
        this.svg.insertBefore(node, this.draftRect?.parentNode ? this.draftRect : null);
      }
    }
  }

  private highlight(id: string, on: boolean): void {
    this.svg
      ?.querySelectorAll(`rect[data-id="${CSS.escape(id)}"]`)
      .forEach(n => n.classList.toggle('echoes-Outline-highlight', on));
  }

  private renderLists(): void {
    const groups = groupAnnotations(this.items, this.options.me.name);
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
    const li = el('li', { class: 'echoes-Item', 'data-id': annotation.id });
    li.append(el('div', { class: 'echoes-Item-text' }, textOf(annotation) || '(no text)'));
    const tags = tagsOf(annotation);
    const facts = [
      creatorLabel(annotation),
      motivationOf(annotation),
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
    if (ownerOf(annotation) === this.options.me.name && !proposal) {
      const edit = el('button', { class: 'jp-mod-styled echoes-Edit' }, 'Edit');
      edit.addEventListener('click', () => void this.edit(annotation));
      const remove = el('button', { class: 'jp-mod-styled jp-mod-warn echoes-Delete' }, 'Delete');
      remove.addEventListener('click', () => void this.remove(annotation));
      buttons.append(edit, remove);
    }
    li.append(buttons);
    li.addEventListener('mouseenter', () => this.highlight(annotation.id, true));
    li.addEventListener('mouseleave', () => this.highlight(annotation.id, false));
    return li;
  }
}

export function imageUrl(path: string): string {
  return apiUrl(`catalog/image/${encodeURIComponent(path)}`);
}
