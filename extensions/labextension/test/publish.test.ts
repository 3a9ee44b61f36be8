jest.mock('@jupyterlab/apputils', () => ({}), { virtual: true });
jest.mock('@lumino/widgets', () => ({ Widget: class {} }), { virtual: true });
jest.mock('../src/api', () => ({}));

import { appName } from '../src/publish';

describe('the default app name of a notebook', () => {
  it('is its file name in lower case with dashes', () => {
    expect(appName('work/Pottery Explorer (v2).ipynb')).toBe('pottery-explorer-v2');
  });

  it('is never empty and at most 63 characters', () => {
    expect(appName('___.ipynb')).toBe('app');
    expect(appName(`${'a'.repeat(80)}.ipynb`)).toHaveLength(63);
  });
});
