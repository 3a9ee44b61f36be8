jest.mock('@jupyterlab/application', () => ({ JupyterFrontEnd: {}, JupyterLab: {} }), {
  virtual: true
});
jest.mock('@jupyterlab/apputils', () => ({}), { virtual: true });
jest.mock('@jupyterlab/coreutils', () => ({}), { virtual: true });
jest.mock('@jupyterlab/services', () => ({}), { virtual: true });

import { serverState } from '../src/connection';

describe('what an answer to <server>/api/status says about the server', () => {
  it('is back when it answers this page with JSON', () => {
    expect(serverState(200, 'application/json')).toBe('back');
    expect(serverState(200, 'application/json; charset=UTF-8')).toBe('back');
  });

  it('is signed out when it refuses this page with its own JSON (restarted since)', () => {
    expect(serverState(403, 'application/json')).toBe('signed-out');
    expect(serverState(401, 'application/json')).toBe('signed-out');
  });

  it('is down when the hub, the proxy or nobody answers for it', () => {
    expect(serverState(0, '')).toBe('down'); // no answer, or a redirect to the hub
    expect(serverState(200, 'text/html')).toBe('down'); // a hub page after a redirect
    expect(serverState(424, 'application/json')).toBe('down'); // the hub: not running
    expect(serverState(503, 'text/html')).toBe('down'); // the proxy's error page
    expect(serverState(502, 'application/json')).toBe('down');
  });
});
