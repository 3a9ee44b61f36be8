jest.mock('@jupyterlab/apputils', () => ({}), { virtual: true });
jest.mock('@lumino/widgets', () => ({ Widget: class {} }), { virtual: true });
jest.mock('../src/api', () => ({}));

import { App, appName, nameProblem, shareOption, startingChoice } from '../src/publish';

describe('the default app name of a notebook', () => {
  it('is its file name in lower case with dashes', () => {
    expect(appName('work/Pottery Explorer (v2).ipynb')).toBe('pottery-explorer-v2');
  });

  it('is never empty and at most 63 characters', () => {
    expect(appName('___.ipynb')).toBe('app');
    expect(appName(`${'a'.repeat(80)}.ipynb`)).toHaveLength(63);
  });
});

const published: App = {
  name: 'kilns',
  title: 'Kiln map',
  description: 'Kilns of Roman Britain',
  share: 'public',
  url: '/services/apps/ann/kilns/',
  version: 2,
  ok: true
};

describe('the publish dialog starts', () => {
  it("from the previous version's title, description and share when re-publishing", () => {
    expect(startingChoice('kilns', [published])).toEqual({
      name: 'kilns',
      title: 'Kiln map',
      description: 'Kilns of Roman Britain',
      share: 'public'
    });
  });

  it('for a new app with every hub user and no title (the service takes the name)', () => {
    expect(startingChoice('other', [published])).toEqual({
      name: 'other',
      title: '',
      description: '',
      share: 'hub'
    });
  });

  it('with a group or user share split into its option and its name', () => {
    expect(shareOption('group:conservators')).toEqual({ option: 'group:', who: 'conservators' });
    expect(shareOption('user:bob')).toEqual({ option: 'user:', who: 'bob' });
    expect(shareOption('public')).toEqual({ option: 'public', who: '' });
  });
});

describe('an app name is checked before it is sent', () => {
  it('as the apps service checks it', () => {
    expect(nameProblem('kiln-map-2')).toBe('');
    expect(nameProblem('a'.repeat(63))).toBe('');
    for (const bad of ['', 'Kilns', 'kiln map', '-kilns', 'a'.repeat(64), 'kilns/x']) {
      expect(nameProblem(bad)).toContain('must be 1-63 lowercase letters, digits or dashes');
    }
  });
});
