jest.mock('@jupyterlab/apputils', () => ({}), { virtual: true });
jest.mock('@jupyterlab/ui-components', () => ({}), { virtual: true });
jest.mock('../src/api', () => ({}));

import { notices, WorkshopStatus } from '../src/workshop';

const start: WorkshopStatus = {
  event: 'e1',
  title: 'Pottery',
  display_name: 'Ada',
  messages: [{ id: 1, sender: 'tom', text: 'Welcome', sent: '10:00' }],
  hand: { id: 3, raised: '10:05', handled: null, handled_by: null },
  helpers: []
};

describe('the notices an attendee sees', () => {
  it('on loading the page: who opened their server, nothing else', () => {
    expect(notices(null, start)).toEqual([]);
    const helped = { ...start, helpers: [{ trainer: 'tom', opened: '10:06' }] };
    expect(notices(null, helped)).toEqual(['tom opened your server to help you (10:06).']);
  });

  it('then each new message, a hand seen and a new helper, once', () => {
    const now: WorkshopStatus = {
      ...start,
      messages: [...start.messages, { id: 2, sender: 'tom', text: 'Break', sent: '10:10' }],
      hand: { ...start.hand!, handled: '10:07', handled_by: 'tom' },
      helpers: [{ trainer: 'tom', opened: '10:06' }]
    };
    expect(notices(start, now)).toEqual([
      'Message from tom: Break',
      'tom has seen your raised hand.',
      'tom opened your server to help you (10:06).'
    ]);
    expect(notices(now, now)).toEqual([]);
  });
});
