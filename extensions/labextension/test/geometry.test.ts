import { parseXywh, spanned, toDisplay, toImage, xywh } from '../src/geometry';

describe('a dragged rectangle becomes an xywh= selector in image pixels', () => {
  const image = { width: 384, height: 303 }; // the coins photograph

  it('spans two corners whichever way the mouse went', () => {
    expect(spanned({ x: 50, y: 40 }, { x: 10, y: 20 })).toEqual({ x: 10, y: 20, w: 40, h: 20 });
  });

  it('scales from a display twice the image size, rounding to whole pixels', () => {
    const display = { width: 768, height: 606 };
    const rect = toImage({ x: 21, y: 41, w: 100, h: 61 }, display, image);
    expect(rect).toEqual({ x: 11, y: 21, w: 50, h: 30 });
    expect(xywh(rect!)).toBe('xywh=11,21,50,30');
  });

  it('clips a drag that leaves the image', () => {
    const display = { width: 384, height: 303 };
    expect(toImage({ x: 300, y: 250, w: 200, h: 200 }, display, image)).toEqual({
      x: 300,
      y: 250,
      w: 84,
      h: 53
    });
  });

  it('ignores a click (nothing left after rounding) and a hidden image', () => {
    expect(toImage({ x: 10, y: 10, w: 0.2, h: 30 }, image, image)).toBeNull();
    expect(toImage({ x: 10, y: 10, w: 20, h: 30 }, { width: 0, height: 0 }, image)).toBeNull();
  });

  it('draws a stored rectangle back at display size', () => {
    const display = { width: 192, height: 151.5 };
    expect(toDisplay({ x: 100, y: 50, w: 40, h: 20 }, display, image)).toEqual({
      x: 50,
      y: 25,
      w: 20,
      h: 10
    });
  });

  it('reads xywh=, xywh=pixel: and xywh=percent: selectors in image pixels', () => {
    expect(parseXywh('xywh=10,20,30,40', image)).toEqual({ x: 10, y: 20, w: 30, h: 40 });
    expect(parseXywh('xywh=pixel:1.5,2,3,4', image)).toEqual({ x: 1.5, y: 2, w: 3, h: 4 });
    expect(parseXywh('xywh=percent:50,0,25,100', { width: 400, height: 300 })).toEqual({
      x: 200,
      y: 0,
      w: 100,
      h: 300
    });
    expect(parseXywh('t=1,2', image)).toBeNull();
  });

  it('writes fractions the way echoes.annotations does (no trailing zeros)', () => {
    expect(xywh({ x: 1.5, y: 2, w: 3.25, h: 4 })).toBe('xywh=1.5,2,3.25,4');
  });
});
