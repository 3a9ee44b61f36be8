// An image and its region annotations on the field's libraries: OpenSeadragon shows the
// image (zoom, pan, its keyboard keys) and Annotorious draws, selects, moves and resizes
// rectangles and polygons, reading and writing W3C selectors through its W3C adapter. Both
// annotation views use it: JupyterLab's (src/annotator.ts) and the notebook widget's
// (src/widget.ts, bundled into the echoes package). What a shape means (whose, which
// group, what is saved) stays with the views; this module only shows and reports.

import OpenSeadragon from 'openseadragon';
import {
  createOSDAnnotator,
  DrawingStyle,
  ImageAnnotation,
  OpenSeadragonAnnotator,
  UserSelectAction,
  W3CImageAnnotation,
  W3CImageFormat
} from '@annotorious/openseadragon';
import '@annotorious/openseadragon/annotorious-openseadragon.css';

import { Rect, Region, regionOfSelector, rounded, selectorOf, Size } from './geometry';

/** A shape to show: its id, region (image pixels) and how it is drawn. */
export interface Shape {
  id: string;
  region: Region;
  /** The group's key (view.json): the colour it is drawn in. */
  group: string;
  /** Whether the viewer may move and resize it (their own annotations). */
  editable: boolean;
}

export type Tool = 'move' | 'rectangle' | 'polygon';

export interface ImageViewEvents {
  /** A shape was drawn (not saved yet: the view's form saves it). */
  drawn?(region: Region): void;
  /** One of the viewer's shapes was moved or resized. */
  changed?(id: string, region: Region): void;
  /** A shape was selected (null: none). */
  selected?(id: string | null): void;
  /** The image is shown; its size in pixels. */
  opened?(size: Size): void;
}

/** The OpenSeadragon tile source of an image: its IIIF Image API `info.json` when it has
 * one (deep zoom, tiles), else the image itself, whole. */
export function tileSource(imageUrl: string, imageService?: string | null): string | object {
  return imageService ? imageService : { type: 'image', url: imageUrl, buildPyramid: false };
}

/** The colours of the groups (view.json's keys); a draft is drawn in the accent colour. */
const COLOURS: Record<string, `#${string}`> = {
  yours: '#1976d2',
  groups: '#7b1fa2',
  public: '#2e7d32',
  others: '#616161',
  software: '#ef6c00',
  accepted: '#2e7d32',
  rejected: '#c62828',
  draft: '#d81b60'
};

const DRAFT = 'echoes-draft';

export class ImageView {
  readonly viewer: OpenSeadragon.Viewer;
  readonly anno: OpenSeadragonAnnotator<ImageAnnotation, W3CImageAnnotation>;
  /** The image's size in pixels, once shown (0 × 0 before). */
  size: Size = { width: 0, height: 0 };
  private shapes = new Map<string, Shape>();
  private hidden = new Set<string>();
  private highlighted: string | null = null;
  /** A drawn, unsaved region (kept when the shapes are shown again). */
  private draft: Region | null = null;
  private tool: Tool = 'move';

  constructor(
    element: HTMLElement,
    source: string | object,
    private canvas: string,
    private events: ImageViewEvents = {}
  ) {
    this.viewer = OpenSeadragon({
      element,
      tileSources: source,
      // No buttons of OpenSeadragon's own (their images would be fetched from a prefix
      // URL): the views' toolbars zoom; the keyboard (w a s d, arrows, + -, 0) works as is.
      showNavigationControl: false,
      gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true },
      // Tiles of the hub's IIIF service come from its own origin, which allows any (CORS
      // `*`, no credentials): fetched as CORS so the WebGL drawer may read them.
      crossOriginPolicy: typeof source === 'string' ? 'Anonymous' : false,
      visibilityRatio: 0.5
    });
    this.anno = createOSDAnnotator<ImageAnnotation, W3CImageAnnotation>(this.viewer, {
      adapter: W3CImageFormat(canvas),
      drawingEnabled: false,
      drawingMode: 'drag',
      // Shape changes reach the form while the shape is selected, not only when left.
      autoSave: true,
      userSelectAction: a =>
        this.shapes.get(a.id)?.editable ? UserSelectAction.EDIT : UserSelectAction.SELECT,
      style: a => this.style(a.id)
    });
    this.viewer.addHandler('open', () => {
      const item = this.viewer.world.getItemAt(0);
      const size = item.getContentSize();
      this.size = { width: size.x, height: size.y };
      element.dataset.ready = 'true';
      this.events.opened?.(this.size);
    });
    this.anno.on('createAnnotation', annotation => {
      const region = this.regionOf(annotation);
      // One draft at a time, under one id: Annotorious's own goes, ours is shown.
      this.anno.removeAnnotation(annotation.id);
      if (region) {
        this.setDraft(region);
        this.events.drawn?.(this.draft!);
      }
    });
    this.anno.on('updateAnnotation', annotation => {
      const region = this.regionOf(annotation);
      if (!region) {
        return;
      }
      if (annotation.id === DRAFT) {
        this.draft = rounded(region);
        this.events.drawn?.(this.draft);
      } else if (this.shapes.get(annotation.id)?.editable) {
        this.events.changed?.(annotation.id, rounded(region));
      }
    });
    this.anno.on('deleteAnnotation', annotation => {
      // The Delete key on a selected shape: only a draft goes here; the views delete
      // stored annotations with their own button (and the service's answer).
      if (annotation.id === DRAFT) {
        this.draft = null;
      } else {
        this.show([...this.shapes.values()]);
      }
    });
    this.anno.on('selectionChanged', selected => {
      const id = selected.length ? selected[0].id : null;
      this.events.selected?.(id === DRAFT ? null : id);
    });
  }

  private regionOf(annotation: W3CImageAnnotation): Region | null {
    const target = Array.isArray(annotation.target) ? annotation.target[0] : annotation.target;
    const selector = (target as { selector?: unknown } | undefined)?.selector;
    const region = regionOfSelector(Array.isArray(selector) ? selector[0] : selector, this.size);
    return region ? rounded(region) : null;
  }

  private style(id: string): DrawingStyle {
    const shape = this.shapes.get(id);
    const colour = COLOURS[id === DRAFT ? 'draft' : (shape?.group ?? 'others')] ?? COLOURS.others;
    const on = id === this.highlighted;
    return {
      stroke: colour,
      strokeWidth: on ? 4 : 2,
      strokeOpacity: 1,
      fill: colour,
      fillOpacity: on ? 0.35 : id === DRAFT ? 0.2 : 0.08
    };
  }

  private w3c(id: string, region: Region): W3CImageAnnotation {
    return {
      '@context': 'http://www.w3.org/ns/anno.jsonld',
      id,
      type: 'Annotation',
      body: [],
      target: { source: this.canvas, selector: selectorOf(region) }
    } as unknown as W3CImageAnnotation;
  }

  /** Show these shapes (and the draft, if any) instead of those shown. */
  show(shapes: Shape[]): void {
    this.shapes = new Map(shapes.map(s => [s.id, s]));
    const items = shapes.filter(s => !this.hidden.has(s.group)).map(s => this.w3c(s.id, s.region));
    if (this.draft) {
      items.push(this.w3c(DRAFT, this.draft));
    }
    this.anno.setAnnotations(items, true);
  }

  /** Show a drawn region as the draft (null: none), e.g. a stored shape to move. */
  setDraft(region: Region | null): void {
    this.draft = region ? rounded(region) : null;
    this.anno.removeAnnotation(DRAFT);
    if (this.draft) {
      this.anno.addAnnotation(this.w3c(DRAFT, this.draft));
      this.anno.setSelected(DRAFT, true);
    }
  }

  /** The groups not drawn (the legend's unticked boxes). */
  hide(groups: Iterable<string>): void {
    this.hidden = new Set(groups);
    this.show([...this.shapes.values()]);
  }

  /** Draw or stop drawing: `move` pans and zooms, the others draw that shape. */
  setTool(tool: Tool): void {
    this.tool = tool;
    if (tool === 'move') {
      this.anno.cancelDrawing();
      this.anno.setDrawingEnabled(false);
    } else {
      // A rectangle is dragged; a polygon's corners are clicked (the first again closes it).
      this.anno.setDrawingMode(tool === 'polygon' ? 'click' : 'drag');
      this.anno.setDrawingTool(tool);
      this.anno.setDrawingEnabled(true);
    }
  }

  get currentTool(): Tool {
    return this.tool;
  }

  /** Select a shape (editable: its handles show); `fit`: zoom to it too. */
  select(id: string | null, editable = false, fit = false): void {
    if (!id || !this.shapes.has(id)) {
      this.anno.cancelSelected();
      return;
    }
    this.anno.setSelected(id, editable);
    if (fit) {
      this.anno.fitBoundsWithConstraints(id, { padding: 40 });
    }
  }

  /** Draw one shape stronger (a list item under the mouse or the keyboard). */
  highlight(id: string | null): void {
    this.highlighted = id;
    this.anno.setStyle(a => this.style(a.id));
  }

  zoom(by: number): void {
    this.viewer.viewport.zoomBy(by);
    this.viewer.viewport.applyConstraints();
  }

  home(): void {
    this.viewer.viewport.goHome();
  }

  /** Zoom and pan to a region of the image (pixels), with a margin of a third of it. */
  fit(region: Rect): void {
    const margin = Math.max(region.w, region.h) / 3;
    const shown = this.viewer.viewport.imageToViewportRectangle(
      region.x - margin,
      region.y - margin,
      region.w + 2 * margin,
      region.h + 2 * margin
    );
    this.viewer.viewport.fitBounds(shown, true);
  }

  /** Where a point of the image is on the page (tests and keyboard focus use it). */
  pagePoint(x: number, y: number): { x: number; y: number } {
    const p = this.viewer.viewport.imageToViewerElementCoordinates(new OpenSeadragon.Point(x, y));
    const box = this.viewer.element.getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  }

  destroy(): void {
    this.anno.destroy();
    this.viewer.destroy();
  }
}
