// Rectangles on an image: display pixels (what the mouse sees) and image pixels (what a
// W3C FragmentSelector `xywh=` names, as `echoes.annotations.region` writes it).

import { XYWH } from './rules';

export interface Point {
  x: number;
  y: number;
}

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

/** The rectangle spanned by two corners of a drag, whichever way it went. */
export function spanned(a: Point, b: Point): Rect {
  return {
    x: Math.min(a.x, b.x),
    y: Math.min(a.y, b.y),
    w: Math.abs(a.x - b.x),
    h: Math.abs(a.y - b.y)
  };
}

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

/**
 * A rectangle in display pixels as whole image pixels, clipped to the image. Null when
 * nothing of it is left (a click, or a drag outside the image).
 */
export function toImage(rect: Rect, display: Size, image: Size): Rect | null {
  if (display.width <= 0 || display.height <= 0) {
    return null;
  }
  const sx = image.width / display.width;
  const sy = image.height / display.height;
  const left = clamp(Math.round(rect.x * sx), 0, image.width);
  const top = clamp(Math.round(rect.y * sy), 0, image.height);
  const right = clamp(Math.round((rect.x + rect.w) * sx), 0, image.width);
  const bottom = clamp(Math.round((rect.y + rect.h) * sy), 0, image.height);
  if (right - left < 1 || bottom - top < 1) {
    return null;
  }
  return { x: left, y: top, w: right - left, h: bottom - top };
}

/** A rectangle in image pixels as display pixels (to draw an outline). */
export function toDisplay(rect: Rect, display: Size, image: Size): Rect {
  const sx = display.width / image.width;
  const sy = display.height / image.height;
  return { x: rect.x * sx, y: rect.y * sy, w: rect.w * sx, h: rect.h * sy };
}

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
