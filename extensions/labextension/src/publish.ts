// "Publish as app": a small dialog (name, title, description, share) that starts from what
// the author's previous version of that app had, then the server extension sends the
// notebook to the apps service as `echoes publish` does; a notification says it is under
// way (the service runs the notebook once first) and a dialog shows the address or the
// author-facing error.

import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { requestJSON, ServiceError } from './api';

export interface PublishChoice {
  name: string;
  share: string;
  title: string;
  description: string;
}

/** An app as the apps service lists it (the server extension's `apps/mine`). */
export interface App {
  name: string;
  title: string;
  description: string;
  share: string;
  url: string;
  version: number;
  ok: boolean;
  error?: string;
}

export interface MyApps {
  apps: App[];
  /** Where a browser opens the apps gallery ("" when the server does not know). */
  gallery: string;
}

/** The apps service's rule for app names (hub/services/apps/model.py, NAME_PATTERN; a
 * Python test checks that both say the same). */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** What is wrong with an app name, or '' when the apps service takes it. */
export function nameProblem(name: string): string {
  if (NAME_PATTERN.test(name)) {
    return '';
  }
  return (
    `app name '${name}' must be 1-63 lowercase letters, digits or dashes, ` +
    'starting with a letter or digit'
  );
}

/** A default app name from a notebook path: lower case, dashes, at most 63 characters. */
export function appName(path: string): string {
  const base = path.split('/').pop()!.replace(/\.ipynb$/, '');
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return name || 'app';
}

/** The dialog's starting values for app `name`: those of its previous version, if the
 * author published it before (re-publishing must not change who may open it), else
 * every hub user and no title (the service takes the notebook's title or the name). */
export function startingChoice(name: string, apps: App[]): PublishChoice {
  const previous = apps.find(app => app.name === name);
  if (!previous) {
    return { name, title: '', description: '', share: 'hub' };
  }
  const { title, description, share } = previous;
  return { name, title, description, share };
}

/** A share as the dialog shows it: the option of the select ('group:', 'user:' for the
 * kinds with a name) and the name. */
export function shareOption(share: string): { option: string; who: string } {
  const [kind, ...rest] = share.split(':');
  return rest.length ? { option: `${kind}:`, who: rest.join(':') } : { option: share, who: '' };
}

export class PublishForm extends Widget {
  constructor(path: string, apps: App[], choice?: PublishChoice, problem = '') {
    super();
    this.apps = apps;
    this.addClass('echoes-PublishForm');
    this.node.innerHTML = `
      <label>App name (part of its address)<input name="name" class="jp-mod-styled"></label>
      <p class="echoes-PublishForm-problem" role="alert"></p>
      <p class="echoes-PublishForm-previous"></p>
      <label>Title<input name="title" class="jp-mod-styled"></label>
      <label>Description<textarea name="description" class="jp-mod-styled"></textarea></label>
      <label>Who may open it
        <select name="share" class="jp-mod-styled">
          <option value="hub">every hub user</option>
          <option value="public">anyone, without logging in</option>
          <option value="group:">members of a hub group…</option>
          <option value="user:">one hub user…</option>
        </select></label>
      <label class="echoes-PublishForm-who">Group or user name<input name="who" class="jp-mod-styled"></label>`;
    const name = this.field('name');
    this.fill(choice ?? startingChoice(appName(path), apps));
    this.showProblem(problem);
    // Another name: start from that app's previous version, if there is one.
    name.addEventListener('input', () => {
      const value = name.value.trim();
      this.showProblem(value ? nameProblem(value) : '');
      if (apps.some(app => app.name === value)) {
        this.fill(startingChoice(value, apps));
      }
    });
    this.field('share').addEventListener('change', () => this.toggleWho());
  }

  getValue(): PublishChoice {
    const value = (name: string) => this.field(name).value.trim();
    const share = value('share');
    return {
      name: value('name'),
      title: value('title'),
      description: value('description'),
      share: share.endsWith(':') ? `${share}${value('who')}` : share
    };
  }

  private field(name: string): HTMLInputElement {
    return this.node.querySelector(`[name=${name}]`) as HTMLInputElement;
  }

  private fill(choice: PublishChoice): void {
    const { option, who } = shareOption(choice.share);
    this.field('name').value = choice.name;
    this.field('title').value = choice.title;
    this.field('description').value = choice.description;
    this.field('share').value = option;
    this.field('who').value = who;
    const previous = this.apps.find(app => app.name === choice.name);
    (this.node.querySelector('.echoes-PublishForm-previous') as HTMLElement).textContent =
      previous
        ? `Version ${previous.version} is published: this makes version ${previous.version + 1}, ` +
          'with the title, description and share below.'
        : '';
    this.toggleWho();
  }

  private toggleWho(): void {
    const who = this.node.querySelector('.echoes-PublishForm-who') as HTMLElement;
    who.hidden = !this.field('share').value.endsWith(':');
  }

  private showProblem(problem: string): void {
    const node = this.node.querySelector('.echoes-PublishForm-problem') as HTMLElement;
    node.textContent = problem;
    node.hidden = !problem;
  }

  private apps: App[];
}

/** The author's apps and the gallery's address; none when the apps service cannot say
 * (the dialog then starts from the defaults, and the service still keeps the share). */
export async function myApps(): Promise<MyApps> {
  try {
    return await requestJSON<MyApps>('apps/mine');
  } catch {
    return { apps: [], gallery: '' };
  }
}

/** Ask (again while the name is not one the service takes), publish, and tell the outcome. */
export async function publishNotebook(path: string): Promise<App | null> {
  const { apps } = await myApps();
  let choice: PublishChoice | undefined;
  let problem = '';
  for (;;) {
    const answer = await showDialog({
      title: `Publish ${path} as an app`,
      body: new PublishForm(path, apps, choice, problem),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Publish' })]
    });
    if (!answer.button.accept || !answer.value) {
      return null;
    }
    choice = answer.value as PublishChoice;
    problem = nameProblem(choice.name);
    if (!problem) {
      break;
    }
  }
  const name = choice.name;
  const progress = Notification.emit(
    `Publishing ${name}: the notebook runs once before it is served…`,
    'in-progress',
    { autoClose: false }
  );
  try {
    const app = await requestJSON<App>('apps/publish', {
      method: 'POST',
      body: JSON.stringify({ path, ...choice }),
      headers: { 'Content-Type': 'application/json' }
    });
    const address = new URL(app.url, window.location.origin).href;
    Notification.update({
      id: progress,
      message: app.ok
        ? `Published ${name}, version ${app.version}`
        : `Published ${name}, version ${app.version}, but it failed its trial run`,
      type: app.ok ? 'success' : 'warning',
      autoClose: 10000,
      actions: [{ label: 'Open the app', callback: () => window.open(address, '_blank') }]
    });
    const body = document.createElement('div');
    body.className = 'echoes-PublishResult';
    if (app.ok) {
      body.innerHTML = `<p>Version ${app.version} is published at</p>`;
    } else {
      body.innerHTML =
        '<p>The notebook failed its trial run: viewers see a message instead of the app.</p>';
      const error = document.createElement('pre');
      error.textContent = app.error ?? '';
      body.append(error);
    }
    const link = document.createElement('a');
    link.href = address;
    link.target = '_blank';
    link.rel = 'noopener';
    link.textContent = address;
    body.append(link);
    await showDialog({
      title: app.ok ? 'App published' : 'Published, but it does not run',
      body: new Widget({ node: body }),
      buttons: [Dialog.okButton()]
    });
    return app;
  } catch (error) {
    const message = error instanceof ServiceError ? error.message : String(error);
    Notification.update({ id: progress, message: `${name} is not published`, type: 'error', autoClose: 10000 });
    await showDialog({
      title: 'Not published',
      body: message,
      buttons: [Dialog.okButton()]
    });
    return null;
  }
}
