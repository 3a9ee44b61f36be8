// Regions of an image in image pixels, as W3C selectors name them: a rectangle is a
// FragmentSelector `xywh=` (as `echoes.annotations.region` writes it), a polygon an
// SvgSelector `<svg><polygon points="x,y …"/></svg>` (as `echoes.annotations.polygon` and
// Annotorious write it). Drawing them is OpenSeadragon's and Annotorious's (src/imageview.ts).

import { XYWH } from './rules';

export const MEDIA_FRAGMENTS = 'http://www.w3.org/TR/media-frags/';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Size {
  width: number;
  height: number;
}

export type Point = [number, number];

export type Region = ({ kind: 'rect' } & Rect) | { kind: 'polygon'; points: Point[] };

export type Selector =
  | { type: 'FragmentSelector'; conformsTo: string; value: string }
  | { type: 'SvgSelector'; value: string };

function num(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

/** The value of a media-fragment selector: `xywh=x,y,w,h` in pixels. */
export function xywh(rect: Rect): string {
  return `xywh=${num(rect.x)},${num(rect.y)},${num(rect.w)},${num(rect.h)}`;
}

/** The image-pixel rectangle of `xywh=[pixel:|percent:]x,y,w,h` on an image of `image`'s size. */
export function parseXywh(value: string, image: Size): Rect | null {
  const match = XYWH.exec(value);
  if (!match) {
    return null;
  }
  const [x, y, w, h] = match.slice(2).map(Number);
  if (match[1] === 'percent') {
    const [sx, sy] = [image.width / 100, image.height / 100];
    return { x: x * sx, y: y * sy, w: w * sx, h: h * sy };
  }
  return { x, y, w, h };
}

const POLYGON = /<polygon\b[^>]*\bpoints\s*=\s*(["'])([^"']*)\1/i;

/** The points of the first `<polygon>` of an SvgSelector's value, or null (fewer than 3). */
export function parseSvgPolygon(value: string): Point[] | null {
  const match = POLYGON.exec(value);
  if (!match) {
    return null;
  }
  const numbers = match[2].trim().split(/[\s,]+/).map(Number);
  if (numbers.length < 6 || numbers.length % 2 || numbers.some(n => !Number.isFinite(n))) {
    return null;
  }
  const points: Point[] = [];
  for (let i = 0; i < numbers.length; i += 2) {
    points.push([numbers[i], numbers[i + 1]]);
  }
  return points;
}

/** The SvgSelector value of a polygon, as `echoes.annotations.polygon` writes it. */
export function svgPolygon(points: Point[]): string {
  const list = points.map(([x, y]) => `${num(x)},${num(y)}`).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg"><polygon points="${list}"/></svg>`;
}

/** A region in whole pixels (what the views save: a drag lands between pixels). */
export function rounded(region: Region): Region {
  if (region.kind === 'rect') {
    const [x, y] = [Math.round(region.x), Math.round(region.y)];
    const w = Math.max(1, Math.round(region.x + region.w) - x);
    const h = Math.max(1, Math.round(region.y + region.h) - y);
    return { kind: 'rect', x, y, w, h };
  }
  return { kind: 'polygon', points: region.points.map(([x, y]) => [Math.round(x), Math.round(y)]) };
}

/** The W3C selector of a region. */
export function selectorOf(region: Region): Selector {
  if (region.kind === 'rect') {
    return { type: 'FragmentSelector', conformsTo: MEDIA_FRAGMENTS, value: xywh(region) };
  }
  return { type: 'SvgSelector', value: svgPolygon(region.points) };
}

/** The region a W3C selector names on an image of `image`'s size, or null. */
export function regionOfSelector(selector: unknown, image: Size): Region | null {
  if (!selector || typeof selector !== 'object') {
    return null;
  }
  const { type, value } = selector as { type?: unknown; value?: unknown };
  if (typeof value !== 'string') {
    return null;
  }
  if (type === 'SvgSelector') {
    const points = parseSvgPolygon(value);
    return points ? { kind: 'polygon', points } : null;
  }
  const rect = parseXywh(value, image);
  return rect ? { kind: 'rect', ...rect } : null;
}

/** The rectangle around a region. */
export function boundsOf(region: Region): Rect {
  if (region.kind === 'rect') {
    return { x: region.x, y: region.y, w: region.w, h: region.h };
  }
  const xs = region.points.map(p => p[0]);
  const ys = region.points.map(p => p[1]);
  const [x, y] = [Math.min(...xs), Math.min(...ys)];
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

/** How a region reads in the form: "Rectangle x 10, y 20, 30 × 40 px" or "Polygon of 5 points". */
export function describeRegion(region: Region): string {
  if (region.kind === 'rect') {
    const r = rounded(region) as Rect;
    return `Rectangle x ${r.x}, y ${r.y}, ${r.w} × ${r.h} px`;
  }
  return `Polygon of ${region.points.length} points`;
}
