// "Open digital twin": an object's page, as the twins service serves it
// (hub/services/twins/, objects/<collection>/<id>), in a main-area panel. The page is
// anonymous open data, server-rendered with no script: the panel frames it from the
// twins service's own host (which allows it: TwinsService.page_frame_ancestors), in a
// sandbox that grants it only new tabs, and sends it no cookie and no referrer.

import { JupyterFrontEnd } from '@jupyterlab/application';
import { IFrame, MainAreaWidget, ToolbarButton } from '@jupyterlab/apputils';

import { Rect } from './geometry';

export const OPEN_TWIN = 'echoes:open-twin';
/** The IRI of an object's twin: urn:echoes:object:<collection>/<id>. */
export const OBJECT_IRI = 'urn:echoes:object:';

export interface ObjectRef {
  collection: string;
  id: string;
}

/** `coins/7` or `urn:echoes:object:coins/7` as an object; null when it is neither. */
export function parseObject(text: string): ObjectRef | null {
  const trimmed = text.trim();
  const given = trimmed.startsWith(OBJECT_IRI) ? trimmed.slice(OBJECT_IRI.length) : trimmed;
  const slash = given.indexOf('/');
  if (slash <= 0 || slash === given.length - 1) {
    return null;
  }
  const collection = given.slice(0, slash);
  const id = given.slice(slash + 1);
  return /^[\w.-]+$/.test(collection) && !id.includes('/') ? { collection, id } : null;
}

/** The address of the object's page at the twins service `service`. */
export function twinPage(service: string, ref: ObjectRef): string {
  return `${service}objects/${encodeURIComponent(ref.collection)}/${encodeURIComponent(ref.id)}`;
}

/** The twins service's index (`GET /`) as catalog entry path -> collection. */
export function collectionsByEntry(index: {
  collections?: Record<string, { entry?: string }>;
}): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, collection] of Object.entries(index.collections ?? {})) {
    if (collection.entry) {
      found[collection.entry] = name;
    }
  }
  return found;
}

/** The region of its image an object's Linked Art record shows it in (a coin's part of
 * the photograph: its first representation's access point, `<canvas>#xywh=x,y,w,h`). */
export function imageRegion(record: {
  representation?: { digitally_shown_by?: { access_point?: { id?: string }[] }[] }[];
}): Rect | null {
  const point = record.representation?.[0]?.digitally_shown_by?.[0]?.access_point?.[0]?.id;
  const found = /#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(point ?? '');
  if (!found) {
    return null;
  }
  const [x, y, w, h] = found.slice(1).map(Number);
  return { x, y, w, h };
}

/** The object's region, from its record at the twins service (anonymous); null when it
 * has none or the service cannot say. */
export function objectRegion(service: string, ref: ObjectRef): Promise<Rect | null> {
  return fetch(twinPage(service, ref), {
    credentials: 'omit',
    headers: { Accept: 'application/ld+json' }
  })
    .then(reply => (reply.ok ? reply.json() : {}))
    .then(imageRegion)
    .catch(() => null);
}

/** The catalog entries that have twins, read once from the twins service (anonymous:
 * no credentials). Empty when the service cannot be reached. */
export function twinCollections(service: string): Promise<Record<string, string>> {
  if (!service) {
    return Promise.resolve({});
  }
  return fetch(service, { credentials: 'omit', headers: { Accept: 'application/json' } })
    .then(reply => (reply.ok ? reply.json() : {}))
    .then(collectionsByEntry)
    .catch(() => ({}));
}

/** Show the object's page in a main-area panel (the one already open, if it is);
 * `showImage`, when the object has an image: the toolbar's "Image and its annotations". */
export function openTwin(
  app: JupyterFrontEnd,
  service: string,
  ref: ObjectRef,
  showImage?: () => void
): void {
  const id = `echoes-twin-${ref.collection}-${ref.id}`.replace(/[^\w-]/g, '_');
  for (const widget of app.shell.widgets('main')) {
    if (widget.id === id) {
      app.shell.activateById(id);
      return;
    }
  }
  // The page needs no script, form or same-origin access. Its Agree, Contest and Reply
  // links open the annotation service's form in a tab of its own, outside the sandbox
  // (where the reader's login and the form's XSRF check work as on any page).
  const content = new IFrame({ referrerPolicy: 'no-referrer' });
  // Set on the element: IFrame's own list misspells the popups-to-escape token.
  content.node
    .querySelector('iframe')
    ?.setAttribute('sandbox', 'allow-popups allow-popups-to-escape-sandbox');
  content.url = twinPage(service, ref);
  content.addClass('echoes-TwinPage');
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.title.label = `Twin: ${ref.collection}/${ref.id}`;
  widget.title.caption = `${OBJECT_IRI}${ref.collection}/${ref.id}`;
  widget.title.closable = true;
  if (showImage) {
    // The page shows the image still; deep zoom with everyone's annotations, and one's
    // own to add, is the annotation view's (OpenSeadragon and Annotorious).
    widget.toolbar.addItem(
      'image',
      new ToolbarButton({
        className: 'echoes-TwinImage',
        label: 'Image and its annotations',
        tooltip: "The object's image in deep zoom, with the annotations you may read",
        onClick: showImage
      })
    );
  }
  app.shell.add(widget, 'main');
  app.shell.activateById(id);
}
