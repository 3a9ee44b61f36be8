import {
  Annotation,
  annotationPage,
  assessment,
  buildAnnotation,
  buildReply,
  confident,
  editedAnnotation,
  errorMessage,
  groupAnnotations,
  motivationLabel,
  pollMessage,
  regionOf,
  regionTarget,
  servicePath,
  textOf,
  threads,
  verdicts
} from '../src/model';
import { MOTIVATION_LABELS, MOTIVATIONS } from '../src/rules';

const CANVAS = 'https://heritage.echoes.invalid/images/coins/canvas/1';

function person(name: string) {
  return { id: `urn:echoes:user:${name}`, type: 'Person', nickname: name };
}

describe('W3C annotation documents', () => {
  it('targets a region as echoes.annotations.region does', () => {
    expect(regionTarget(CANVAS, { kind: 'rect', x: 10, y: 20, w: 30, h: 40 })).toEqual({
      type: 'SpecificResource',
      source: CANVAS,
      selector: {
        type: 'FragmentSelector',
        conformsTo: 'http://www.w3.org/TR/media-frags/',
        value: 'xywh=10,20,30,40'
      }
    });
  });

  it('builds the document AnnotationClient.document builds: text body, then tags', () => {
    const doc = buildAnnotation(CANVAS, {
      text: '  A worn drachm ',
      tags: ['coin', 'silver'],
      motivation: 'describing',
      visibility: 'public'
    });
    expect(doc).toEqual({
      '@context': 'http://www.w3.org/ns/anno.jsonld',
      type: 'Annotation',
      motivation: 'describing',
      target: CANVAS,
      visibility: 'public',
      body: [
        { type: 'TextualBody', value: 'A worn drachm', format: 'text/plain' },
        { type: 'TextualBody', value: 'coin', purpose: 'tagging' },
        { type: 'TextualBody', value: 'silver', purpose: 'tagging' }
      ]
    });
  });

  it('has a single body object, not a list, when there is one body', () => {
    const doc = buildAnnotation(CANVAS, {
      text: 'crack',
      tags: [],
      motivation: 'commenting',
      visibility: 'private'
    });
    expect(doc.body).toEqual({ type: 'TextualBody', value: 'crack', format: 'text/plain' });
  });

  it('edits keep the id and target, and drop the ETag', () => {
    const stored: Annotation = {
      id: 'http://hub/services/annotations/containers/default/abc',
      target: CANVAS,
      body: { type: 'TextualBody', value: 'old' },
      creator: person('ann'),
      visibility: 'private',
      etag: '"abc.1"'
    };
    const doc = editedAnnotation(stored, {
      text: 'new',
      tags: ['x'],
      motivation: 'commenting',
      visibility: 'public'
    });
    expect(doc.id).toBe(stored.id);
    expect(doc.target).toBe(CANVAS);
    expect(doc.visibility).toBe('public');
    expect(doc).not.toHaveProperty('etag');
    expect(textOf(doc as unknown as Annotation)).toBe('new');
  });

  it('accepts a proposal with the assessing reply AnnotationClient.accept makes', () => {
    expect(assessment('http://x/a/1', 'accepted')).toEqual({
      '@context': 'http://www.w3.org/ns/anno.jsonld',
      type: 'Annotation',
      motivation: 'assessing',
      target: 'http://x/a/1',
      visibility: 'public',
      body: { type: 'TextualBody', value: 'accepted', purpose: 'assessing' }
    });
    const withNote = assessment('http://x/a/1', 'rejected', 'two coins, not one');
    expect(withNote.body).toEqual([
      { type: 'TextualBody', value: 'rejected', purpose: 'assessing' },
      { type: 'TextualBody', value: 'two coins, not one', purpose: 'commenting' }
    ]);
  });

});

describe('grouping for display', () => {
  const mine: Annotation = { id: '1', creator: person('ann'), visibility: 'private' };
  const group: Annotation = { id: '2', creator: person('bob'), visibility: 'group:conservators' };
  const open: Annotation = { id: '3', creator: person('bob'), visibility: 'public' };
  const proposal: Annotation = {
    id: '4',
    creator: {
      type: 'Software',
      name: 'echoes-coins-annotator',
      actedOnBehalfOf: { nickname: 'ann' }
    },
    visibility: 'public'
  };
  const verdict: Annotation = {
    id: '5',
    creator: person('ann'),
    motivation: 'assessing',
    target: '4',
    body: { type: 'TextualBody', value: 'accepted', purpose: 'assessing' }
  };

  it('puts software proposals apart, even when they act for you', () => {
    const groups = groupAnnotations([mine, group, open, proposal, verdict], 'ann');
    expect(groups.yours.map(a => a.id)).toEqual(['1']);
    expect(groups.groups.map(a => a.id)).toEqual(['2']);
    expect(groups.public.map(a => a.id)).toEqual(['3']);
    expect(groups.software.map(a => a.id)).toEqual(['4']);
  });

  it("sees another person's view from their side: ann's private one is not public", () => {
    const groups = groupAnnotations([mine, group, open], 'bob');
    expect(groups.yours.map(a => a.id)).toEqual(['2', '3']);
    expect(groups.public).toEqual([]);
    expect(groups.others.map(a => a.id)).toEqual(['1']); // bob reads it as an administrator
  });

  it('knows your latest verdict on each proposal', () => {
    const later: Annotation = {
      ...verdict,
      id: '6',
      created: '2026-01-02',
      body: { type: 'TextualBody', value: 'rejected', purpose: 'assessing' }
    };
    const others: Annotation = { ...verdict, id: '7', creator: person('bob') };
    const found = verdicts([later, { ...verdict, created: '2026-01-01' }, others], 'ann');
    expect(found.get('4')).toBe('rejected');
    expect(found.size).toBe(1);
  });

  it('finds the rectangle of a region annotation, and none for a whole item', () => {
    const region: Annotation = { id: 'r', target: regionTarget(CANVAS, { kind: 'rect', x: 1, y: 2, w: 3, h: 4 }) };
    const size = { width: 384, height: 303 };
    expect(regionOf(region, size)).toEqual({ kind: 'rect', x: 1, y: 2, w: 3, h: 4 });
    expect(regionOf({ id: 'i', target: 'urn:echoes:catalog:heritage/images/coins' }, size)).toBeNull();
  });
});

describe('talking to the service', () => {
  it('turns an annotation IRI into a path of the pass-through', () => {
    expect(servicePath('http://127.0.0.1:8000/services/annotations/containers/default/ab12')).toBe(
      'containers/default/ab12'
    );
    expect(servicePath('http://h/services/annotations/search?target=x&page=1')).toBe(
      'search?target=x&page=1'
    );
  });

  it("shows the service's JSON message, with the field at fault", () => {
    expect(
      errorMessage(403, { error: 'Forbidden', message: 'you can only edit your own annotations' })
    ).toBe('you can only edit your own annotations');
    expect(errorMessage(400, { message: 'motivation must be a string', field: 'motivation' })).toBe(
      'motivation must be a string (motivation)'
    );
  });

  it('explains a refusal without a JSON message', () => {
    expect(errorMessage(412, '')).toMatch(/changed it meanwhile/);
    expect(errorMessage(502, '<html>Bad gateway</html>')).toBe('the service answered 502');
    expect(errorMessage(500, 'database locked')).toBe('database locked');
  });
});

describe('a poll of the annotations when the server goes away', () => {
  it('takes only a page of annotations as one', () => {
    const item = { id: 'http://x/services/annotations/containers/default/1' };
    expect(annotationPage({ items: [item], next: 'http://x/search?page=2' })).toEqual({
      items: [item],
      next: 'http://x/search?page=2'
    });
    expect(annotationPage({ type: 'AnnotationPage', items: [] })).toEqual({ items: [] });
  });

  it('refuses what a hub, a proxy or a login page answers instead', () => {
    const answers: unknown[] = [
      '<!DOCTYPE html><html><title>Server not running</title></html>', // status 200, HTML
      '',
      null,
      { message: 'Service Unavailable', error: 'service' },
      { status: 503, message: 'the annotation service is restarting' },
      { items: 'not a list' },
      { items: [null] },
      { items: [{ text: 'no id' }] }
    ];
    for (const body of answers) {
      expect(annotationPage(body)).toBeNull();
    }
  });

  it('says so plainly and that it tries again', () => {
    const gone = pollMessage(0, 'cannot reach your server: TypeError: Failed to fetch');
    expect(gone).toMatch(/^Your server is not answering: it is stopped or restarting\. Trying again/);
    expect(gone).not.toContain('TypeError');
    expect(pollMessage(424, 'Server not running')).toBe(gone);
    const service = pollMessage(502, 'cannot reach http://127.0.0.1:1/: connection refused');
    expect(service).toContain('annotation service is not answering');
    expect(service).toContain('Trying again');
    expect(pollMessage(403, 'Forbidden')).toContain('reload the page');
    expect(pollMessage(403, 'you may not read this container')).toBe(
      'you may not read this container. Trying again every few seconds…'
    );
  });
});

describe('polygons, replies, confidence and motivations in plain words', () => {
  const size = { width: 384, height: 303 };

  it('targets a polygon as echoes.annotations.polygon does, and reads it back', () => {
    const target = regionTarget(CANVAS, { kind: 'polygon', points: [[1, 2], [30, 4], [5, 60]] });
    expect(target).toEqual({
      type: 'SpecificResource',
      source: CANVAS,
      selector: {
        type: 'SvgSelector',
        value: '<svg xmlns="http://www.w3.org/2000/svg"><polygon points="1,2 30,4 5,60"/></svg>'
      }
    });
    expect(regionOf({ id: 'p', target }, size)).toEqual({
      kind: 'polygon',
      points: [[1, 2], [30, 4], [5, 60]]
    });
  });

  it('an edit that moved the region saves the new target, else keeps the stored one', () => {
    const stored: Annotation = { id: 'a', target: regionTarget(CANVAS, { kind: 'rect', x: 1, y: 1, w: 2, h: 2 }) };
    const draft = { text: 'moved', tags: [], motivation: 'commenting', visibility: 'private' };
    const moved = regionTarget(CANVAS, { kind: 'rect', x: 5, y: 6, w: 7, h: 8 });
    expect(editedAnnotation(stored, draft, moved).target).toEqual(moved);
    expect(editedAnnotation(stored, draft).target).toEqual(stored.target);
  });

  it('a reply targets the annotation, is shown under it, oldest first, and in no group', () => {
    const reply = buildReply('https://hub/a/1', '  I agree  ', 'public');
    expect(reply).toEqual({
      '@context': 'http://www.w3.org/ns/anno.jsonld',
      type: 'Annotation',
      motivation: 'replying',
      target: 'https://hub/a/1',
      visibility: 'public',
      body: { type: 'TextualBody', value: 'I agree', format: 'text/plain' }
    });
    const later = { ...reply, id: 'r2', created: '2026-12-01T10:00:00Z' } as Annotation;
    const earlier = { ...reply, id: 'r1', created: '2026-12-01T09:00:00Z' } as Annotation;
    const onOther = { ...reply, id: 'r3', target: 'https://hub/a/2' } as Annotation;
    const found = threads([later, earlier, onOther]);
    expect(found.get('https://hub/a/1')!.map(r => r.id)).toEqual(['r1', 'r2']);
    expect(found.get('https://hub/a/2')!.map(r => r.id)).toEqual(['r3']);
    const groups = groupAnnotations([later], 'alice');
    expect(Object.values(groups).flat()).toEqual([]);
  });

  it('filters proposals by confidence, never people and never a proposal without one', () => {
    const software = { type: 'Software', name: 'coins', actedOnBehalfOf: { nickname: 'alice' } };
    const low: Annotation = { id: 'l', creator: software, confidence: 0.3 };
    const high: Annotation = { id: 'h', creator: software, confidence: 0.9 };
    const unsure: Annotation = { id: 'u', creator: software };
    const said: Annotation = { id: 'p', creator: person('alice'), confidence: 0.1 };
    expect([low, high, unsure, said].filter(a => confident(a, 0.5)).map(a => a.id)).toEqual([
      'h',
      'u',
      'p'
    ]);
    expect([low, high].filter(a => confident(a, 0)).length).toBe(2);
  });

  it('names every W3C motivation in plain words', () => {
    expect(motivationLabel({ id: 'a', motivation: 'commenting' })).toBe('Comment');
    expect(motivationLabel({ id: 'a', motivation: 'identifying' })).toBe('Identification');
    expect(motivationLabel({ id: 'a', motivation: ['describing', 'tagging'] })).toBe('Description, Tags');
    expect(motivationLabel({ id: 'a', motivation: 'replying' })).toBe('Reply');
    expect(motivationLabel({ id: 'a', motivation: 'something-else' })).toBe('something-else');
    expect(motivationLabel({ id: 'a' })).toBe('');
    for (const m of [...MOTIVATIONS, 'assessing']) {
      expect(MOTIVATION_LABELS[m]).toMatch(/^[A-Z][a-z ]+$/);
    }
  });
});
