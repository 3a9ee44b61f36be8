import {
  boundsOf,
  describeRegion,
  parseSvgPolygon,
  parseXywh,
  regionOfSelector,
  rounded,
  selectorOf,
  svgPolygon,
  xywh
} from '../src/geometry';

const image = { width: 384, height: 303 }; // the coins photograph

describe('rectangles are xywh= FragmentSelectors in image pixels', () => {
  it('reads xywh=, xywh=pixel: (as Annotorious writes) and xywh=percent:', () => {
    expect(parseXywh('xywh=10,20,30,40', image)).toEqual({ x: 10, y: 20, w: 30, h: 40 });
    expect(parseXywh('xywh=pixel:40.5,50.499999999999986,101,75.75', image)).toEqual({
      x: 40.5,
      y: 50.499999999999986,
      w: 101,
      h: 75.75
    });
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

  it('saves what was drawn between pixels in whole pixels, never empty', () => {
    const drawn = { kind: 'rect' as const, x: 40.5, y: 50.499999999999986, w: 101, h: 75.75 };
    expect(rounded(drawn)).toEqual({ kind: 'rect', x: 41, y: 50, w: 101, h: 76 });
    expect(rounded({ kind: 'rect', x: 3, y: 3, w: 0.2, h: 0.1 })).toEqual({
      kind: 'rect',
      x: 3,
      y: 3,
      w: 1,
      h: 1
    });
    expect(selectorOf(rounded(drawn))).toEqual({
      type: 'FragmentSelector',
      conformsTo: 'http://www.w3.org/TR/media-frags/',
      value: 'xywh=41,50,101,76'
    });
  });
});

describe('polygons are SvgSelectors', () => {
  const written = '<svg><polygon points="10,10 60,12 30,50" /></svg>'; // Annotorious's form

  it("reads Annotorious's and echoes.annotations.polygon's SVG", () => {
    const points = [
      [10, 10],
      [60, 12],
      [30, 50]
    ];
    expect(parseSvgPolygon(written)).toEqual(points);
    expect(parseSvgPolygon(svgPolygon(points as [number, number][]))).toEqual(points);
    expect(parseSvgPolygon("<svg><polygon points='1.5 2 3 4 5 6'/></svg>")).toEqual([
      [1.5, 2],
      [3, 4],
      [5, 6]
    ]);
  });

  it('refuses what is no polygon of at least 3 points', () => {
    expect(parseSvgPolygon('<svg><polygon points="1,1 2,2"/></svg>')).toBeNull();
    expect(parseSvgPolygon('<svg><polygon points="1,1 2,2 3,x"/></svg>')).toBeNull();
    expect(parseSvgPolygon('<svg><circle r="3"/></svg>')).toBeNull();
  });

  it('writes the SVG echoes.annotations.polygon writes', () => {
    expect(selectorOf({ kind: 'polygon', points: [[10, 10], [60, 13], [30, 303]] })).toEqual({
      type: 'SvgSelector',
      value: '<svg xmlns="http://www.w3.org/2000/svg"><polygon points="10,10 60,13 30,303"/></svg>'
    });
  });

  it('are told apart from rectangles by their selector type', () => {
    const polygon = regionOfSelector({ type: 'SvgSelector', value: written }, image)!;
    expect(polygon.kind).toBe('polygon');
    expect(boundsOf(polygon)).toEqual({ x: 10, y: 10, w: 50, h: 40 });
    expect(describeRegion(polygon)).toBe('Polygon of 3 points');
    const rect = regionOfSelector({ type: 'FragmentSelector', value: 'xywh=1,2,3,4' }, image)!;
    expect(describeRegion(rect)).toBe('Rectangle x 1, y 2, 3 × 4 px');
    expect(regionOfSelector({ type: 'SvgSelector', value: 'xywh=1,2,3,4' }, image)).toBeNull();
    expect(regionOfSelector(null, image)).toBeNull();
  });
});
