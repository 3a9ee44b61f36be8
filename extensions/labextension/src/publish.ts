// "Publish as app": a small dialog (name, share), then the server extension sends the
// notebook to the apps service as `echoes publish` does, and we show the address or the
// author-facing error.

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { requestJSON, ServiceError } from './api';

export interface PublishChoice {
  name: string;
  share: string;
  title: string;
}

export interface App {
  url: string;
  version: number;
  ok: boolean;
  error?: string;
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

class PublishForm extends Widget {
  constructor(path: string) {
    super();
    this.addClass('echoes-PublishForm');
    this.node.innerHTML = `
      <label>App name (part of its address)<input name="name" class="jp-mod-styled"></label>
      <label>Title<input name="title" class="jp-mod-styled"></label>
      <label>Who may open it
        <select name="share" class="jp-mod-styled">
          <option value="hub">every hub user</option>
          <option value="public">anyone, without logging in</option>
          <option value="group:">members of a hub group…</option>
          <option value="user:">one hub user…</option>
        </select></label>
      <label class="echoes-PublishForm-who">Group or user name<input name="who" class="jp-mod-styled"></label>`;
    (this.node.querySelector('[name=name]') as HTMLInputElement).value = appName(path);
    const share = this.node.querySelector('[name=share]') as HTMLSelectElement;
    const who = this.node.querySelector('.echoes-PublishForm-who') as HTMLElement;
    const toggle = () => (who.hidden = !share.value.endsWith(':'));
    share.addEventListener('change', toggle);
    toggle();
  }

  getValue(): PublishChoice {
    const value = (name: string) =>
      (this.node.querySelector(`[name=${name}]`) as HTMLInputElement).value.trim();
    const share = value('share');
    return {
      name: value('name'),
      title: value('title'),
      share: share.endsWith(':') ? `${share}${value('who')}` : share
    };
  }
}

/** Ask, publish, and tell the outcome. */
export async function publishNotebook(path: string): Promise<App | null> {
  const answer = await showDialog({
    title: `Publish ${path} as an app`,
    body: new PublishForm(path),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Publish' })]
  });
  if (!answer.button.accept || !answer.value) {
    return null;
  }
  const choice = answer.value as PublishChoice;
  try {
    const app = await requestJSON<App>('apps/publish', {
      method: 'POST',
      body: JSON.stringify({ path, ...choice }),
      headers: { 'Content-Type': 'application/json' }
    });
    const address = new URL(app.url, window.location.origin).href;
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
    await showDialog({
      title: 'Not published',
      body: message,
      buttons: [Dialog.okButton()]
    });
    return null;
  }
}
