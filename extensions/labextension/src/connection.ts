// What the page says when the user's server stops answering. JupyterLab's hub extension
// asked once whether to restart the server and kept asking after the server was back, on
// a page whose login the restarted server no longer accepts (every request 403): the old
// tab stayed stuck on that question. This plugin replaces it (package.json
// "disabledExtensions"): it asks the same, watches the server, closes the question by
// itself when the server answers again and, when only a reload signs the page in to the
// new server, says so with a Reload button.

import {
  ConnectionLost,
  IConnectionLost,
  JupyterFrontEnd,
  JupyterFrontEndPlugin,
  JupyterLab
} from '@jupyterlab/application';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export const WATCH_MS = 3000;
/** The hub extension's command that opens the hub's page to start this server. */
const RESTART = 'hub:restart';

/** Down: no answer from the server itself. Back: it answers this page. Signed out: it
 * answers, but refuses this page's login (it was restarted since the page was loaded). */
export type ServerState = 'down' | 'back' | 'signed-out';

/** The state that an answer to `<server>/api/status` shows: HTTP `status` (0 when there
 * was none, or a redirect: the hub answers for a server that is not running). */
export function serverState(status: number, contentType: string): ServerState {
  const json = contentType.split(';')[0].trim().toLowerCase() === 'application/json';
  if (json && status >= 200 && status < 300) {
    return 'back';
  }
  if (json && (status === 401 || status === 403)) {
    return 'signed-out';
  }
  return 'down';
}

async function probe(): Promise<ServerState> {
  const settings = ServerConnection.makeSettings();
  try {
    const reply = await ServerConnection.makeRequest(
      URLExt.join(settings.baseUrl, 'api/status'),
      { redirect: 'manual', cache: 'no-store' },
      settings
    );
    return serverState(reply.status, reply.headers.get('Content-Type') ?? '');
  } catch {
    return 'down';
  }
}

/** Polls the server until it answers; the state it answers in. */
async function untilAnswers(): Promise<ServerState> {
  for (;;) {
    await new Promise(resolve => window.setTimeout(resolve, WATCH_MS));
    const state = await probe();
    if (state !== 'down') {
      return state;
    }
  }
}

async function whileLost(app: JupyterFrontEnd, base: string): Promise<void> {
  const answered = untilAnswers();
  const question = new Dialog({
    title: 'Your server is not answering',
    body:
      `Your server at ${base} is stopped or restarting. Would you like to start it again? ` +
      'This message closes by itself when the server answers.',
    buttons: [Dialog.cancelButton({ label: 'Dismiss' }), Dialog.okButton({ label: 'Restart' })]
  });
  void answered.then(() => question.resolve(0));
  const choice = await question.launch();
  question.dispose();
  if (choice.button.accept && app.commands.hasCommand(RESTART)) {
    await app.commands.execute(RESTART);
  }
  if ((await answered) === 'signed-out') {
    const reload = await showDialog({
      title: 'Your server is running again',
      body:
        'It was restarted and does not accept this page any more: reload the page to sign ' +
        'in to it again. Copy anything you have not saved first: this page cannot save it.',
      buttons: [Dialog.cancelButton({ label: 'Later' }), Dialog.okButton({ label: 'Reload' })]
    });
    if (reload.button.accept) {
      window.location.reload();
    }
  }
}

export const connectionLost: JupyterFrontEndPlugin<IConnectionLost> = {
  id: 'echoes-vre-lab:connection-lost',
  description: 'Says when the server stops answering, and when it is back',
  autoStart: true,
  requires: [JupyterFrontEnd.IPaths],
  optional: [JupyterLab.IInfo],
  provides: IConnectionLost,
  activate: (
    app: JupyterFrontEnd,
    paths: JupyterFrontEnd.IPaths,
    info: JupyterLab.IInfo | null
  ): IConnectionLost => {
    if (!paths.urls.hubPrefix) {
      return ConnectionLost; // not started by a hub: JupyterLab's own message
    }
    let lost = false;
    return async () => {
      if (lost) {
        return; // one question at a time, while the server is away
      }
      lost = true;
      if (info) {
        info.isConnected = false;
      }
      try {
        await whileLost(app, paths.urls.base);
      } finally {
        lost = false;
        if (info) {
          info.isConnected = true;
        }
      }
    };
  }
};
