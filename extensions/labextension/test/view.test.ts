// The golden cases of the view rules (tests/fixtures/view/), which the Python tests of the
// notebook widgets (tests/unit/test_widgets.py) check too: both front ends show the same.

import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

import {
  Annotation,
  groupAnnotations,
  parseTags,
  regionOf,
  tagsOf,
  textOf,
  verdicts
} from '../src/model';
import { boundsOf } from '../src/geometry';
import { GROUPS } from '../src/rules';

const CASES = join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'view');

function load(name: string) {
  return JSON.parse(readFileSync(join(CASES, name), 'utf-8'));
}

const scenes = readdirSync(CASES).filter(name => name.endsWith('.json') && name !== 'tags.json');

describe('the golden view cases', () => {
  it('are there', () => {
    expect(scenes.length).toBeGreaterThanOrEqual(3);
  });

  it.each(scenes)('%s: each annotation is shown as expected', name => {
    const { viewer, image, annotations, assessments, expected } = load(name);
    const judged = verdicts(assessments ?? [], viewer);
    const groups = groupAnnotations(annotations as Annotation[], viewer);
    const shown: Record<string, unknown> = {};
    for (const { key } of GROUPS) {
      for (const a of groups[key]) {
        const region = regionOf(a, image);
        const rect = region ? boundsOf(region) : null;
        shown[a.id] = {
          group: key,
          region: rect ? [rect.x, rect.y, rect.w, rect.h] : null,
          text: textOf(a),
          tags: tagsOf(a),
          verdict: judged.get(a.id) ?? null
        };
      }
    }
    expect(shown).toEqual(expected);
  });

  it('split typed tags', () => {
    for (const { typed, tags } of load('tags.json').cases) {
      expect(parseTags(typed)).toEqual(tags);
    }
  });
});
