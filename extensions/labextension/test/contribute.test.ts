jest.mock('@lumino/widgets', () => ({ Widget: class {} }), { virtual: true });
jest.mock('../src/api', () => ({}));

import { Draft, missingChoices, objectOfPage } from '../src/contribute';

describe('the contribution panel', () => {
  it('opens the first twin from the page address publishing answers', () => {
    const page = 'http://twins--service.localhost:8000/services/twins/objects/parish-museum/T%2001';
    expect(objectOfPage(page)).toBe('parish-museum/T 01');
    expect(objectOfPage('http://h/objects/only-a-collection')).toBeNull();
    expect(objectOfPage('http://h/objects/a/b?format=json-ld')).toBeNull();
  });

  it('names the choices a draft still needs', () => {
    const draft = { name: 'parish', title: '', licence: 'CC0-1.0', citation: '' } as Draft;
    expect(missingChoices(draft)).toEqual(['title', 'citation']);
  });
});
