// "Contribute a collection": the twins service's contribution wizard as a JupyterLab
// panel, over its JSON API (the server extension's `contribute/...`, reached with the
// server's hub token): the same steps as its web page and `echoes contribute`. Upload a
// sheet; see its first rows; upload its photographs as a zip; choose a column per field,
// the collection's name, title, licence and citation, and who shares the draft; see every
// problem by row and column; publish (or submit it for review), then open the first twin.

import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { request, requestJSON, ServiceError } from './api';
import { el } from './dom';

export interface DraftSummary {
  id: string;
  file: string;
  name: string;
  contributor: string;
  group: string;
  submitted: string;
}

/** What `GET contribute` says the wizard offers. */
export interface Wizard {
  drafts: DraftSummary[];
  fields: Record<string, string>;
  required: string[];
  licences: Record<string, string>;
  /** The languages a sheet's texts may be in: ISO 639-1 code -> name. */
  languages: Record<string, string>;
  suffixes: string[];
  max_bytes: number;
  moderated: boolean;
  admin: boolean;
  name: string;
  groups: string[];
}

export interface Problem {
  row: number | null;
  column: string;
  message: string;
  fix: string;
  warning: boolean;
}

export interface Draft extends DraftSummary {
  url: string;
  rows: number;
  header: string[];
  images: string[];
  preview: { row: number; values: string[] }[];
  fields: Record<string, string | null>;
  title: string;
  licence: string;
  citation: string;
  language: string;
  /** Whether you may change it (its contributor, or a member of its group). */
  yours: boolean;
  review: string;
  problems: Problem[];
  ready: boolean;
  records: number;
}

export interface Published {
  name: string;
  version: number;
  added: number;
  changed: number;
  unchanged: number;
  withdrawn: number;
  first: string;
}

/** The object (collection/id) of a twin's page address `.../objects/<collection>/<id>`. */
export function objectOfPage(page: string): string | null {
  const match = /\/objects\/([^/?#]+)\/([^/?#]+)$/.exec(page);
  return match ? `${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}` : null;
}

/** The choices a draft still lacks before it may be published. */
export function missingChoices(draft: Draft): string[] {
  return (['name', 'title', 'licence', 'citation'] as const).filter(key => !draft[key]);
}

export interface ContributeActions {
  /** Open the twin page of `object` (collection/id). */
  openTwin(object: string): void;
}

export class ContributePanel extends Widget {
  private message: HTMLElement;
  private body: HTMLElement;
  private wizard: Wizard | null = null;

  constructor(
    private actions: ContributeActions,
    private trans: TranslationBundle,
    private language = 'en'
  ) {
    super();
    this.addClass('echoes-Contribute');
    this.title.label = trans.__('Contribute a collection');
    this.message = el('div', { class: 'echoes-Message', role: 'status' });
    this.body = el('div', { class: 'echoes-Contribute-body' });
    this.node.append(el('h2', {}, trans.__('Contribute a collection')), this.message, this.body);
    void this.start();
  }

  private say(text: string, error = false): void {
    this.message.textContent = text;
    this.message.classList.toggle('echoes-Message-error', error);
  }

  private showError(error: unknown): void {
    this.say(error instanceof ServiceError ? error.message : String(error), true);
  }

  /** The first step: the drafts the person sees, and the upload of a sheet. */
  async start(): Promise<void> {
    try {
      // The fields' and licences' explanations in the panel's language (English, French or
      // German: the twins service's).
      const language = encodeURIComponent(this.language.split('-')[0]);
      this.wizard = await requestJSON<Wizard>(`contribute?lang=${language}`);
    } catch (error) {
      this.showError(error);
      return;
    }
    const wizard = this.wizard;
    const trans = this.trans;
    const upload = el('form', { class: 'echoes-Contribute-upload' });
    const file = el('input', {
      type: 'file',
      name: 'sheet',
      accept: wizard.suffixes.join(','),
      'aria-label': trans.__('The sheet')
    });
    const send = el('button', { type: 'submit', class: 'jp-mod-styled jp-mod-accept' }, trans.__('Upload'));
    const about = trans.__(
      'A spreadsheet of your collection (%1, at most %2 MB) becomes twins of the commons: a twin per row. A draft stays private until it is published.',
      wizard.suffixes.join(', '),
      Math.floor(wizard.max_bytes / (1024 * 1024))
    );
    const reviewed = wizard.moderated ? ' ' + trans.__('An administrator reviews each contribution first.') : '';
    upload.append(el('h3', {}, trans.__('1. Upload the sheet')), el('p', {}, about + reviewed), file, send);
    upload.addEventListener('submit', event => {
      event.preventDefault();
      const sheet = file.files?.[0];
      if (sheet) {
        const form = new FormData();
        form.append('sheet', sheet, sheet.name);
        void this.act('contribute/drafts', { method: 'POST', body: form });
      }
    });
    const drafts = el('ul', { class: 'echoes-Contribute-drafts' });
    for (const draft of wizard.drafts) {
      const open = el('button', { class: 'jp-mod-styled', 'data-draft': draft.id }, draft.file);
      open.addEventListener('click', () => void this.open(draft.id));
      const facts = [
        draft.name,
        draft.contributor !== wizard.name ? trans.__("%1's", draft.contributor) : '',
        draft.submitted ? trans.__('submitted for review') : ''
      ].filter(Boolean);
      const li = el('li');
      li.append(open, document.createTextNode(facts.length ? ` (${facts.join(', ')})` : ''));
      drafts.append(li);
    }
    this.body.replaceChildren(upload);
    if (wizard.drafts.length) {
      this.body.append(el('h3', {}, trans.__('Drafts you see')), drafts);
    }
  }

  async open(id: string): Promise<void> {
    try {
      this.showDraft(await requestJSON<Draft>(`contribute/drafts/${encodeURIComponent(id)}`));
      this.say('');
    } catch (error) {
      this.showError(error);
    }
  }

  /** A change to the draft; the draft as it is then (or the refusal, named). */
  private async act(path: string, init: RequestInit, said = ''): Promise<void> {
    try {
      const reply = await request<Draft | Published>(path, init);
      if ('first' in reply.data) {
        this.published(reply.data);
        return;
      }
      this.showDraft(reply.data);
      this.say(said);
    } catch (error) {
      this.showError(error);
    }
  }

  private published(done: Published): void {
    const trans = this.trans;
    const object = objectOfPage(done.first);
    const open = el('button', { class: 'jp-mod-styled jp-mod-accept echoes-Contribute-first' });
    open.textContent = trans.__('Open the first twin');
    open.addEventListener('click', () => object && this.actions.openTwin(object));
    const again = el('button', { class: 'jp-mod-styled' }, trans.__('Contribute another sheet'));
    again.addEventListener('click', () => void this.start());
    this.body.replaceChildren(
      el(
        'p',
        { class: 'echoes-Contribute-published' },
        trans.__(
          'Published %1, version %2: %3 added, %4 changed, %5 unchanged, %6 withdrawn.',
          done.name,
          done.version,
          done.added,
          done.changed,
          done.unchanged,
          done.withdrawn
        )
      ),
      open,
      again
    );
    this.say('');
  }

  /** Every step of `draft`, as the wizard's page shows them. */
  private showDraft(draft: Draft): void {
    const wizard = this.wizard!;
    const trans = this.trans;
    const path = `contribute/drafts/${encodeURIComponent(draft.id)}`;
    const mine = draft.yours;
    const editable = mine && !draft.submitted;
    const box = el('div', { class: 'echoes-Contribute-draft', 'data-draft': draft.id });
    const back = el('button', { class: 'jp-mod-styled' }, trans.__('All drafts'));
    back.addEventListener('click', () => void this.start());
    box.append(back);
    if (draft.submitted) {
      box.append(
        el('p', { class: 'echoes-Contribute-submitted' }, trans.__('Submitted for review on %1.', draft.submitted))
      );
    } else if (draft.review) {
      box.append(el('p', { class: 'echoes-Contribute-review' }, trans.__('Sent back: %1', draft.review)));
    }

    box.append(el('h3', {}, trans.__('2. The sheet: %1, %2 rows', draft.file, draft.rows)));
    const table = el('table', { class: 'echoes-Preview-table echoes-Contribute-preview' });
    const head = el('tr');
    [trans.__('Row'), ...draft.header].forEach(c => head.append(el('th', {}, c)));
    table.append(head);
    for (const row of draft.preview) {
      const tr = el('tr');
      [String(row.row), ...row.values].forEach(v => tr.append(el('td', {}, v)));
      table.append(tr);
    }
    const scroll = el('div', { class: 'echoes-Preview-scroll' });
    scroll.append(table);
    box.append(scroll);

    if (editable) {
      const zip = el('input', { type: 'file', accept: '.zip', 'aria-label': trans.__('The photographs (zip)') });
      const sendZip = el('button', { class: 'jp-mod-styled' }, trans.__('Upload the photographs'));
      sendZip.addEventListener('click', () => {
        const photos = zip.files?.[0];
        if (photos) {
          const form = new FormData();
          form.append('images', photos, photos.name);
          void this.act(`${path}/images`, { method: 'POST', body: form });
        }
      });
      const photos = el('div', { class: 'echoes-Contribute-images' });
      photos.append(
        el('span', {}, trans.__('The photographs the sheet names, as a zip (%1 so far):', draft.images.length) + ' '),
        zip,
        sendZip
      );
      box.append(photos);
    }

    const form = el('form', { class: 'echoes-Contribute-choices' });
    form.append(el('h3', {}, trans.__('3. Which column gives which field')));
    const selects: Record<string, HTMLSelectElement> = {};
    for (const [field, about] of Object.entries(wizard.fields)) {
      const select = el('select', { name: `field.${field}`, 'aria-label': field });
      select.append(el('option', { value: '' }, trans.__('(no column)')));
      for (const column of draft.header.filter(Boolean)) {
        const option = el('option', { value: column }, column);
        option.selected = draft.fields[field] === column;
        select.append(option);
      }
      select.disabled = !editable;
      selects[field] = select;
      const label = el('label', { title: about });
      label.append(el('span', {}, `${field}${wizard.required.includes(field) ? ' *' : ''}: `), select);
      form.append(label);
    }
    form.append(el('h3', {}, trans.__('4. The collection')));
    const text = (key: 'name' | 'title' | 'citation', label: string, size: number) => {
      const input = el('input', { name: key, 'aria-label': label, value: draft[key], size: String(size) });
      input.disabled = !editable;
      const wrap = el('label');
      wrap.append(el('span', {}, `${label}: `), input);
      form.append(wrap);
      return input;
    };
    const name = text('name', trans.__('Name (lower-case letters, digits, hyphens)'), 30);
    const title = text('title', trans.__('Title'), 60);
    // A choice among `options` (value -> what it says), "" first: what `none` says.
    const choice = (key: 'licence' | 'language', label: string, none: string, options: Record<string, string>) => {
      const select = el('select', { name: key, 'aria-label': label });
      select.append(el('option', { value: '' }, none));
      for (const [value, about] of Object.entries(options)) {
        const option = el('option', { value }, `${value}: ${about}`);
        option.selected = draft[key] === value;
        select.append(option);
      }
      select.disabled = !editable;
      const wrap = el('label');
      wrap.append(el('span', {}, `${label}: `), select);
      form.append(wrap);
      return select;
    };
    const licence = choice('licence', trans.__('Licence'), trans.__('(choose one)'), wizard.licences);
    const citation = text('citation', trans.__('Citation'), 80);
    const language = choice(
      'language',
      trans.__('Language of the texts'),
      trans.__('(not said)'),
      wizard.languages
    );
    let group: HTMLSelectElement | null = null;
    if (draft.contributor === wizard.name) {
      const who = trans.__('Who sees and changes the draft until it is published:');
      group = el('select', { name: 'group', 'aria-label': who });
      group.append(el('option', { value: '' }, trans.__('only you')));
      for (const g of wizard.groups) {
        const option = el('option', { value: g }, trans.__('you and the members of %1', g));
        option.selected = draft.group === g;
        group.append(option);
      }
      group.disabled = !editable;
      const wrap = el('label');
      wrap.append(el('span', {}, `${who} `), group);
      form.append(wrap);
    }
    if (editable) {
      form.append(el('button', { type: 'submit', class: 'jp-mod-styled' }, trans.__('Check again')));
    }
    form.addEventListener('submit', event => {
      event.preventDefault();
      const fields = Object.fromEntries(
        Object.entries(selects).map(([field, select]) => [field, select.value || null])
      );
      const said: Record<string, unknown> = {
        fields,
        name: name.value,
        title: title.value,
        licence: licence.value,
        citation: citation.value,
        language: language.value
      };
      if (group) {
        said.group = group.value;
      }
      void this.act(path, {
        method: 'POST',
        body: JSON.stringify(said),
        headers: { 'Content-Type': 'application/json' }
      });
    });
    box.append(form);

    box.append(el('h3', {}, trans.__('5. Problems')));
    if (draft.problems.length) {
      const problems = el('table', { class: 'echoes-Contribute-problems' });
      const top = el('tr');
      [trans.__('Row'), trans.__('Column'), trans.__('Problem'), trans.__('Fix')].forEach(c =>
        top.append(el('th', {}, c))
      );
      problems.append(top);
      for (const p of draft.problems) {
        const tr = el('tr', { class: p.warning ? 'echoes-warning' : 'echoes-problem' });
        [p.row === null ? '' : String(p.row), p.column, p.message, p.fix].forEach(v =>
          tr.append(el('td', {}, v))
        );
        problems.append(tr);
      }
      box.append(problems);
    } else {
      box.append(
        el('p', { class: 'echoes-Contribute-noProblems' }, trans.__('No problem in %1 rows.', draft.records))
      );
    }

    box.append(el('h3', {}, trans.__('6. Publish')));
    const reviews = wizard.moderated && !wizard.admin;
    if (draft.ready && (editable || (wizard.admin && draft.submitted))) {
      const label = reviews
        ? trans.__('Submit %1 twins as %2 for review', draft.records, draft.name)
        : trans.__('Publish %1 twins as %2', draft.records, draft.name);
      const publish = el('button', { class: 'jp-mod-styled jp-mod-accept echoes-Contribute-publish' }, label);
      publish.addEventListener('click', () => {
        publish.disabled = true;
        this.say(trans.__('Publishing: every row is checked once more…'));
        const said = reviews ? trans.__('Submitted for review.') : '';
        void this.act(`${path}/publish`, { method: 'POST', body: '{}' }, said);
      });
      box.append(publish);
    } else if (!draft.submitted) {
      const missing = missingChoices(draft);
      const needs = missing.length
        ? trans.__('Publishing needs no problem left, and its %1.', missing.join(', '))
        : trans.__('Publishing needs no problem left.');
      box.append(el('p', {}, needs));
    }
    if (draft.submitted && mine) {
      const reopen = el('button', { class: 'jp-mod-styled' }, trans.__('Reopen it to change it'));
      reopen.addEventListener('click', () => void this.act(`${path}/reopen`, { method: 'POST', body: '{}' }));
      box.append(reopen);
    }
    this.body.replaceChildren(box);
  }
}
