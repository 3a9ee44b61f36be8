jest.mock('@jupyterlab/application', () => ({ JupyterFrontEnd: {} }), { virtual: true });
jest.mock('@jupyterlab/apputils', () => ({}), { virtual: true });

import { collectionsByEntry, imageRegion, parseObject, twinPage } from '../src/twin';

describe('which object a person names', () => {
  it('takes collection/id and the IRI', () => {
    expect(parseObject('coins/7')).toEqual({ collection: 'coins', id: '7' });
    expect(parseObject(' urn:echoes:object:rock-art/7.1 ')).toEqual({
      collection: 'rock-art',
      id: '7.1'
    });
  });

  it('refuses anything else', () => {
    for (const text of ['', 'coins', 'coins/', '/7', 'a b/7', 'coins/7/x', '../x/7']) {
      expect(parseObject(text)).toBeNull();
    }
  });

  it("escapes the id in the page's address", () => {
    expect(twinPage('http://t/services/twins/', { collection: 'tate', id: 'a b?' })).toBe(
      'http://t/services/twins/objects/tate/a%20b%3F'
    );
  });
});

describe("the twins service's index", () => {
  it('maps each catalog entry to its collection', () => {
    const index = {
      collections: {
        coins: { entry: 'images.coins', objects: 24 },
        pottery: { entry: 'archaeometry.pottery_kilns' },
        old: {}
      }
    };
    expect(collectionsByEntry(index)).toEqual({
      'images.coins': 'coins',
      'archaeometry.pottery_kilns': 'pottery'
    });
    expect(collectionsByEntry({})).toEqual({});
  });
});

describe("an object's region of its image", () => {
  it("is its record's first access point's xywh", () => {
    const record = {
      representation: [
        {
          digitally_shown_by: [
            { access_point: [{ id: 'http://i/canvas/coins#xywh=25,104,42,41' }] }
          ]
        }
      ]
    };
    expect(imageRegion(record)).toEqual({ x: 25, y: 104, w: 42, h: 41 });
  });

  it('is null for an object with no image region', () => {
    expect(imageRegion({})).toBeNull();
    expect(imageRegion({ representation: [{ digitally_shown_by: [{ access_point: [{ id: 'http://i/x.png' }] }] }] })).toBeNull();
  });
});
