// ECHOES VRE in JupyterLab: the catalog browser (left side panel), the annotation view
// (main area), an object's digital twin (main area: src/twin.ts), the "Publish as App…" command and the link to the apps gallery (in the File
// and Help menus: schema/plugin.json). The server extension echoes.server answers under
// <base_url>/echoes/.

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  showErrorMessage
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';

import { requestJSON } from './api';
import { AnnotationView, imageUrl, Me } from './annotator';
import { CatalogPanel, Entry, EntryCanvas } from './catalog';
import { connectionLost } from './connection';
import { ContributePanel } from './contribute';
import { Rect } from './geometry';
import { myApps, publishNotebook } from './publish';
import { OPEN_TWIN, objectRegion, openTwin, parseObject, twinCollections } from './twin';
import { workshop } from './workshop';

const ICON = new LabIcon({
  name: 'echoes:catalog',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4z"/><circle cx="16.5" cy="16.5" r="3.5"/></g></svg>'
});

const COMMANDS = {
  annotate: 'echoes:annotate',
  publish: 'echoes:publish-app',
  catalog: 'echoes:open-catalog',
  contribute: 'echoes:contribute',
  gallery: 'echoes:open-gallery'
};

let me: Promise<Me> | null = null;

function whoAmI(): Promise<Me> {
  me = me ?? requestJSON<Me>('me');
  return me;
}

/** Add a code cell with `code` below the active cell of the current notebook, and select it. */
async function insertCode(app: JupyterFrontEnd, tracker: INotebookTracker, code: string) {
  let panel = tracker.currentWidget;
  if (!panel) {
    panel = await app.commands.execute('notebook:create-new', { kernelName: 'python3' });
    await panel!.context.ready;
  }
  await panel!.sessionContext.ready;
  const notebook = panel!.content;
  const active = notebook.activeCell;
  if (!active || active.model.sharedModel.getSource().trim() !== '') {
    NotebookActions.insertBelow(notebook);
  }
  notebook.activeCell!.model.sharedModel.setSource(code);
  app.shell.activateById(panel!.id);
}

/** The canvas to show of several (the person chooses), or the only one; null if cancelled. */
async function chooseCanvas(canvases: EntryCanvas[]): Promise<EntryCanvas | null> {
  if (canvases.length === 1) {
    return canvases[0];
  }
  const labels = canvases.map((c, i) => `${i + 1}. ${c.title}`);
  const chosen = await InputDialog.getItem({ title: 'Which image to annotate?', items: labels });
  return chosen.button.accept && chosen.value ? canvases[labels.indexOf(chosen.value)] : null;
}

/** The annotation view of `entry` (one view per entry); `focus`: a region of its image
 * to show (an object's, from its twin panel). */
async function openAnnotator(app: JupyterFrontEnd, entry: Entry, focus?: Rect): Promise<void> {
  // A manifest shows its canvas as the view of the image entry that canvas paints: one view
  // and the same annotations, whichever entry Annotate was pressed on.
  if (entry.kind !== 'image' && entry.canvases?.length) {
    const shown = await chooseCanvas(entry.canvases);
    if (!shown) {
      return;
    }
    entry = await requestJSON<Entry>(`catalog/entry/${encodeURIComponent(shown.entry)}`);
  }
  const id = `echoes-annotate-${entry.path}`;
  for (const widget of app.shell.widgets('main')) {
    if (widget.id === id) {
      app.shell.activateById(id);
      if (focus) {
        ((widget as MainAreaWidget<AnnotationView>).content).focusOn(focus);
      }
      return;
    }
  }
  const content = new AnnotationView({
    focus,
    title: entry.title,
    item: entry.target,
    canvas: entry.canvas,
    imageUrl: entry.kind === 'image' ? imageUrl(entry.path) : undefined,
    imageService: entry.imageService,
    me: await whoAmI()
  });
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.title.label = `Annotate: ${entry.name}`;
  widget.title.caption = entry.title;
  app.shell.add(widget, 'main');
  app.shell.activateById(id);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'echoes-vre-lab:plugin',
  description: 'Heritage catalog browser, annotation view and "Publish as app"',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IFileBrowserFactory, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    browsers: IFileBrowserFactory | null,
    translator: ITranslator | null
  ) => {
    // The catalog browser, the twin panel's command and the contribution panel speak the
    // language chosen in Settings ▸ Language (a language pack: French, German), from our
    // catalogue of messages (extensions/echoes/locale/, the domain echoes_vre_lab).
    translator = translator ?? nullTranslator;
    const trans = translator.load('echoes_vre_lab');
    // The twins service's pages, where the browser opens them (the server extension
    // knows: echoes.hub's page_url); which entries have twins.
    let pages: Promise<string> | null = null;
    const twinsPages = () => {
      pages =
        pages ??
        requestJSON<Record<string, string>>('pages')
          .then(found => found.twins ?? '')
          .catch(() => '');
      return pages;
    };
    let collections: Promise<Record<string, string>> | null = null;
    const twinCollection = async (entry: string) => {
      collections = collections ?? twinsPages().then(twinCollections);
      return (await collections)[entry] ?? null;
    };
    const panel = new CatalogPanel({
      insertCode: entry => insertCode(app, tracker, entry.code),
      annotate: entry => void openAnnotator(app, entry),
      twinCollection,
      openTwin: collection => void app.commands.execute(OPEN_TWIN, { collection })
    }, trans);
    panel.title.icon = ICON;
    app.shell.add(panel, 'left', { rank: 600 });

    app.commands.addCommand(COMMANDS.catalog, {
      label: trans.__('Open the heritage catalog browser'),
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(COMMANDS.annotate, {
      label: trans.__('Annotate a catalog entry'),
      execute: async args => {
        const path = (args.path as string) ?? 'images.coins';
        const entry = await requestJSON<Entry>(`catalog/entry/${encodeURIComponent(path)}`);
        await openAnnotator(app, entry);
      }
    });

    app.commands.addCommand(OPEN_TWIN, {
      label: trans.__('Open digital twin'),
      caption: trans.__("An object's twin page (measurements, related objects, how to cite it)"),
      execute: async args => {
        const twins = await twinsPages();
        if (!twins) {
          await showErrorMessage(
            'No twins service',
            "This server does not know the hub's address: is it started by the ECHOES hub?"
          );
          return;
        }
        let text = (args.object as string) ?? '';
        if (!text) {
          const collection = (args.collection as string) ?? '';
          const asked = await InputDialog.getText({
            title: trans.__('Open digital twin'),
            label: trans.__('Object (collection/id, e.g. coins/7, or its IRI)'),
            text: collection ? `${collection}/` : '',
            placeholder: 'coins/7'
          });
          if (!asked.button.accept || !asked.value) {
            return;
          }
          text = asked.value;
        }
        const ref = parseObject(text);
        if (!ref) {
          await showErrorMessage('Not an object', `“${text}” is not collection/id, e.g. coins/7`);
          return;
        }
        // An object of an image entry (a coin): its image in the annotation view too.
        collections = collections ?? twinsPages().then(twinCollections);
        const byEntry = await collections;
        const entryPath = Object.keys(byEntry).find(path => byEntry[path] === ref.collection);
        const entry = entryPath
          ? await requestJSON<Entry>(`catalog/entry/${encodeURIComponent(entryPath)}`).catch(() => null)
          : null;
        const showImage =
          entry?.kind === 'image'
            ? async () => openAnnotator(app, entry, (await objectRegion(twins, ref)) ?? undefined)
            : undefined;
        openTwin(app, twins, ref, showImage);
      }
    });

    // One contribution panel: a second command shows it again.
    let contributing: MainAreaWidget<ContributePanel> | null = null;
    app.commands.addCommand(COMMANDS.contribute, {
      label: trans.__('Contribute a collection…'),
      caption: trans.__(
        "Your institution's sheet and photographs as twins of the commons (the twins service's wizard)"
      ),
      execute: () => {
        if (!contributing || contributing.isDisposed) {
          const content = new ContributePanel(
            { openTwin: object => void app.commands.execute(OPEN_TWIN, { object }) },
            trans,
            translator!.languageCode
          );
          contributing = new MainAreaWidget({ content });
          contributing.id = 'echoes-contribute';
          contributing.title.label = trans.__('Contribute a collection');
          app.shell.add(contributing, 'main');
        }
        app.shell.activateById(contributing.id);
      }
    });

    // The notebook to publish: the one selected in the file browser when the command runs
    // from its menu, else the current notebook.
    const notebookPath = (fromBrowser: boolean): string | null => {
      if (fromBrowser && browsers) {
        const item = browsers.tracker.currentWidget?.selectedItems().next();
        const model = item && !item.done ? item.value : null;
        if (model?.path.endsWith('.ipynb')) {
          return model.path;
        }
      }
      return tracker.currentWidget?.context.path ?? null;
    };
    app.commands.addCommand(COMMANDS.publish, {
      label: 'Publish as App…',
      caption: 'Publish this notebook as a Voila app through the hub (echoes publish)',
      isEnabled: args => (args.fromBrowser ? browsers !== null : tracker.currentWidget !== null),
      execute: async args => {
        const path = notebookPath(Boolean(args.fromBrowser));
        if (!path) {
          return;
        }
        const current = tracker.currentWidget;
        if (current && current.context.path === path && current.context.model.dirty) {
          await current.context.save();
        }
        return publishNotebook(path);
      }
    });
    // Asked once: the gallery's address does not change while the server runs.
    let gallery: Promise<string> | null = null;
    app.commands.addCommand(COMMANDS.gallery, {
      label: 'Apps Gallery',
      caption: 'The published apps you may open, in a new browser tab',
      execute: async () => {
        gallery = gallery ?? myApps().then(mine => mine.gallery);
        const url = await gallery;
        if (!url) {
          gallery = null;
          await showErrorMessage(
            'No apps gallery',
            "This server does not know the hub's address: is it started by the ECHOES hub?"
          );
          return;
        }
        // Through the gallery's login (the hub's OAuth, no question asked of someone logged
        // in to the hub): the gallery then shows the apps shared with them, not "Log in".
        window.open(`${url}login`, '_blank', 'noopener');
      }
    });
    if (palette) {
      palette.addItem({ command: COMMANDS.gallery, category: 'ECHOES' });
      palette.addItem({ command: COMMANDS.publish, category: 'ECHOES' });
      palette.addItem({ command: COMMANDS.catalog, category: 'ECHOES' });
      palette.addItem({ command: COMMANDS.contribute, category: 'ECHOES' });
      palette.addItem({ command: OPEN_TWIN, category: 'ECHOES' });
      palette.addItem({ command: COMMANDS.annotate, category: 'ECHOES', args: { path: 'images.coins' } });
    }
    app.contextMenu.addItem({ command: COMMANDS.publish, selector: '.jp-Notebook', rank: 90 });
    app.contextMenu.addItem({
      command: COMMANDS.publish,
      selector: '.jp-DirListing-item[data-file-type="notebook"]',
      rank: 90,
      args: { fromBrowser: true }
    });
  }
};

export default [plugin, connectionLost, workshop];
