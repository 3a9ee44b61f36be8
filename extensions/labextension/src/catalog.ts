// The catalog browser side panel: themes and entries of the shared heritage catalog,
// search, an entry's description, licence, citation and preview, and its actions:
// insert the loading code into the current notebook, open the annotation view, and, for
// an entry whose objects have twins, open one object's twin page.

import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { apiUrl, requestJSON, ServiceError } from './api';
import { el } from './dom';

export interface EntrySummary {
  path: string;
  theme: string;
  name: string;
  title: string;
  kind: string;
}

export interface Theme {
  name: string;
  title: string;
  description: string;
  entries: EntrySummary[];
}

export interface Entry extends EntrySummary {
  description?: string;
  licence?: string;
  licence_note?: string;
  citation?: string;
  keywords?: string[];
  provenance: Record<string, unknown>;
  fields: Record<string, string>;
  code: string;
  target: string;
  /** An image's IIIF canvas (region annotations target it), as its manifest names it. */
  canvas?: { id: string; [key: string]: unknown };
  /** What Annotate shows: an image's canvas, or each canvas of a manifest, with the image
   * entry it shows. */
  canvases?: EntryCanvas[];
  /** The image's IIIF Image API `info.json`, when the server lists one (deep zoom). */
  imageService?: string;
}

export interface EntryCanvas {
  entry: string;
  title: string;
  canvas: { id: string; [key: string]: unknown };
}

const PREVIEW_SIZE = 480;

/** The preview's picture, no larger than the panel: from the IIIF service when the image
 * has one (the relief map's file is 10800 pixels wide), else the file itself. A box larger
 * than a small image is refused by the Image API 3.0 (only `^` enlarges): such images are
 * asked for whole. */
function previewImage(entry: Entry, width: number, height: number): string {
  if (!entry.imageService) {
    return apiUrl(`catalog/image/${encodeURIComponent(entry.path)}`);
  }
  const large = width > PREVIEW_SIZE || height > PREVIEW_SIZE;
  const size = large ? `!${PREVIEW_SIZE},${PREVIEW_SIZE}` : 'max';
  return entry.imageService.replace(/info\.json$/, `full/${size}/0/default.jpg`);
}

type Preview =
  | { kind: 'table'; shape: number[]; columns: string[]; rows: unknown[][] }
  | { kind: 'image'; width: number; height: number; mode: string }
  | {
      kind: 'array';
      dims: Record<string, number>;
      variables: { name: string; dims: string[]; dtype: string; units: string }[];
    }
  | { kind: 'document'; keys: string[] }
  | { kind: string };

export interface CatalogActions {
  insertCode(entry: Entry): Promise<void>;
  annotate(entry: Entry): void;
  /** The twins' collection of the entry's objects (null: they have none). */
  twinCollection(entry: string): Promise<string | null>;
  /** Ask which object of `collection`, and open its twin page. */
  openTwin(collection: string): void;
}

export class CatalogPanel extends Widget {
  private search: HTMLInputElement;
  private list: HTMLElement;
  private detail: HTMLElement;
  private message: HTMLElement;
  private themes: Theme[] = [];
  private searchTimer = 0;

  constructor(
    private actions: CatalogActions,
    private trans: TranslationBundle
  ) {
    super();
    this.id = 'echoes-catalog';
    this.addClass('echoes-Catalog');
    this.title.caption = trans.__('Heritage catalogs');
    this.search = el('input', {
      type: 'search',
      class: 'echoes-Catalog-search',
      placeholder: trans.__('Search the heritage catalogs…'),
      'aria-label': trans.__('Search the heritage catalogs')
    });
    this.message = el('div', { class: 'echoes-Message', role: 'status' });
    this.list = el('div', { class: 'echoes-Catalog-list' });
    this.detail = el('div', { class: 'echoes-Catalog-detail' });
    const header = el('h2', { class: 'echoes-Catalog-header' }, trans.__('Heritage catalogs'));
    this.node.append(header, this.search, this.message, this.list, this.detail);
    this.search.addEventListener('input', () => {
      window.clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => void this.runSearch(), 300);
    });
    void this.loadTree();
  }

  private showError(error: unknown): void {
    const text = error instanceof ServiceError ? error.message : String(error);
    this.message.textContent = text;
    this.message.classList.add('echoes-Message-error');
  }

  private clearMessage(): void {
    this.message.textContent = '';
    this.message.classList.remove('echoes-Message-error');
  }

  async loadTree(): Promise<void> {
    try {
      const tree = await requestJSON<{ title: string; themes: Theme[] }>('catalog/tree');
      this.themes = tree.themes;
      this.clearMessage();
      this.renderTree();
    } catch (error) {
      this.showError(error);
    }
  }

  private renderTree(): void {
    this.list.replaceChildren();
    for (const theme of this.themes) {
      const details = el('details', { class: 'echoes-Catalog-theme', 'data-theme': theme.name });
      details.open = true;
      const summary = el('summary', { title: theme.description }, theme.title);
      details.append(summary, this.entryList(theme.entries));
      this.list.append(details);
    }
  }

  private entryList(entries: EntrySummary[]): HTMLElement {
    const ul = el('ul', { class: 'echoes-Catalog-entries' });
    for (const entry of entries) {
      const li = el('li', {
        class: 'echoes-Catalog-entry',
        'data-path': entry.path,
        tabindex: '0',
        title: entry.path
      });
      li.append(
        el('span', { class: `echoes-Kind echoes-Kind-${entry.kind}` }, entry.kind),
        el('span', { class: 'echoes-Catalog-entryTitle' }, entry.title)
      );
      const open = () => void this.openEntry(entry.path, li);
      li.addEventListener('click', open);
      li.addEventListener('keydown', event => {
        if (event.key === 'Enter') {
          open();
        }
      });
      ul.append(li);
    }
    return ul;
  }

  private async runSearch(): Promise<void> {
    const text = this.search.value.trim();
    if (!text) {
      this.clearMessage();
      this.renderTree();
      return;
    }
    try {
      const found = await requestJSON<{ results: EntrySummary[] }>(
        `catalog/search?q=${encodeURIComponent(text)}`
      );
      this.list.replaceChildren();
      const heading = el(
        'div',
        { class: 'echoes-Catalog-results' },
        this.trans._n('%1 entry for “%2”', '%1 entries for “%2”', found.results.length, text)
      );
      this.list.append(heading, this.entryList(found.results));
      this.clearMessage();
    } catch (error) {
      this.showError(error);
    }
  }

  async openEntry(path: string, item?: HTMLElement): Promise<void> {
    this.list.querySelectorAll('.echoes-selected').forEach(n => n.classList.remove('echoes-selected'));
    item?.classList.add('echoes-selected');
    this.detail.replaceChildren(el('div', { class: 'echoes-Loading' }, this.trans.__('Loading…')));
    try {
      const entry = await requestJSON<Entry>(`catalog/entry/${encodeURIComponent(path)}`);
      this.renderEntry(entry);
      const preview = await requestJSON<Preview>(`catalog/preview/${encodeURIComponent(path)}`);
      this.renderPreview(entry, preview);
    } catch (error) {
      this.showError(error);
    }
  }

  private renderEntry(entry: Entry): void {
    const box = el('div', { class: 'echoes-Entry', 'data-path': entry.path });
    box.append(el('h3', {}, entry.title));
    if (entry.description) {
      box.append(el('p', { class: 'echoes-Entry-description' }, entry.description));
    }
    const actions = el('div', { class: 'echoes-Entry-actions' });
    const trans = this.trans;
    const insert = el('button', { class: 'jp-mod-styled jp-mod-accept echoes-Insert' }, trans.__('Insert code'));
    insert.title = trans.__('Add a cell that loads this entry to the current notebook');
    insert.addEventListener('click', () => {
      this.actions.insertCode(entry).catch(error => this.showError(error));
    });
    const annotate = el('button', { class: 'jp-mod-styled echoes-Annotate' }, trans.__('Annotate'));
    annotate.title =
      entry.kind === 'image' || entry.canvases?.length
        ? trans.__('Open the image to draw and read annotations')
        : trans.__('Annotate this entry');
    annotate.addEventListener('click', () => this.actions.annotate(entry));
    actions.append(insert, annotate);
    void this.actions.twinCollection(entry.path).then(collection => {
      if (!collection) {
        return;
      }
      const twin = el('button', { class: 'jp-mod-styled echoes-OpenTwin' }, trans.__('Digital twin…'));
      twin.title = trans.__('Open the page of one object of this entry (%1/<id>)', collection);
      twin.addEventListener('click', () => this.actions.openTwin(collection));
      actions.append(twin);
    });
    box.append(actions);
    box.append(el('div', { class: 'echoes-Preview' }, trans.__('Preview loading…')));
    const facts = el('dl', { class: 'echoes-Entry-facts' });
    const fact = (key: string, label: string, value?: string) => {
      if (value) {
        facts.append(el('dt', {}, label), el('dd', { 'data-fact': key }, value));
      }
    };
    fact('licence', trans.__('Licence'), entry.licence);
    fact('licence note', trans.__('Licence note'), entry.licence_note);
    fact('citation', trans.__('Citation'), entry.citation);
    fact('source', trans.__('Source'), (entry.provenance?.origin as string) ?? '');
    fact('keywords', trans.__('Keywords'), (entry.keywords ?? []).join(', '));
    box.append(facts);

    box.append(el('pre', { class: 'echoes-Entry-code' }, entry.code));
    this.detail.replaceChildren(box);
  }

  private renderPreview(entry: Entry, preview: Preview): void {
    const box = this.detail.querySelector('.echoes-Preview');
    if (!box) {
      return;
    }
    const trans = this.trans;
    box.replaceChildren(el('h4', {}, trans.__('Preview')));
    if (preview.kind === 'table' && 'rows' in preview) {
      box.append(el('div', {}, trans.__('%1 rows × %2 columns; first rows:', preview.shape[0], preview.shape[1])));
      const table = el('table', { class: 'echoes-Preview-table' });
      const head = el('tr');
      preview.columns.forEach(c => head.append(el('th', { title: entry.fields[c] ?? '' }, c)));
      table.append(head);
      for (const row of preview.rows) {
        const tr = el('tr');
        row.forEach(v => tr.append(el('td', {}, v === null ? '' : String(v))));
        table.append(tr);
      }
      const scroll = el('div', { class: 'echoes-Preview-scroll' });
      scroll.append(table);
      box.append(scroll);
    } else if (preview.kind === 'image' && 'width' in preview) {
      const img = el('img', {
        class: 'echoes-Preview-image',
        alt: entry.title,
        src: previewImage(entry, preview.width, preview.height)
      });
      box.append(img, el('div', {}, trans.__('%1 × %2 pixels (%3)', preview.width, preview.height, preview.mode)));
    } else if (preview.kind === 'array' && 'variables' in preview) {
      const dims = Object.entries(preview.dims)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      box.append(el('div', {}, trans.__('Dimensions %1', dims)));
      const ul = el('ul', { class: 'echoes-Preview-variables' });
      for (const v of preview.variables) {
        ul.append(
          el('li', {}, `${v.name} (${v.dims.join(', ')}) ${v.dtype}${v.units ? ` [${v.units}]` : ''}`)
        );
      }
      box.append(ul);
    } else if (preview.kind === 'document' && 'keys' in preview) {
      box.append(el('div', {}, trans.__('A document with keys: %1', preview.keys.join(', '))));
    } else {
      box.append(el('div', {}, trans.__('No preview for this kind of data.')));
    }
  }
}
