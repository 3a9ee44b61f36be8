// A workshop attendee's side in JupyterLab: the "I need help" button in the top bar
// (command echoes:raise-hand), shown only to attendees of an event; the trainer's
// messages, that the raised hand has been seen, and who opened this server to help,
// as notifications. All of it comes from the server extension (echoes/workshop), which
// holds its last check of the workshops service: one channel to the service.

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { CommandToolbarButton } from '@jupyterlab/ui-components';

import { requestJSON } from './api';

export const RAISE_HAND = 'echoes:raise-hand';
/** How often the page reads the server's last answer (the server asks every 15 s). */
const EVERY_MS = 5000;

interface Hand {
  id: number;
  raised: string;
  handled: string | null;
  handled_by: string | null;
}

export interface WorkshopStatus {
  event: string;
  title: string;
  display_name: string;
  messages: { id: number; sender: string; text: string; sent: string }[];
  hand: Hand | null;
  helpers: { trainer: string; opened: string }[];
}

/** What is new between two answers, as the notices to show (text only). */
export function notices(before: WorkshopStatus | null, now: WorkshopStatus): string[] {
  const shown: string[] = [];
  const seen = new Set((before?.messages ?? []).map(m => m.id));
  for (const message of now.messages) {
    if (before && !seen.has(message.id)) {
      shown.push(`Message from ${message.sender}: ${message.text}`);
    }
  }
  const hand = now.hand;
  if (before && hand?.handled && !(before.hand?.id === hand.id && before.hand.handled)) {
    shown.push(`${hand.handled_by} has seen your raised hand.`);
  }
  for (const helper of now.helpers.slice(before ? before.helpers.length : 0)) {
    shown.push(`${helper.trainer} opened your server to help you (${helper.opened}).`);
  }
  return shown;
}

async function status(): Promise<WorkshopStatus | null> {
  return await requestJSON<WorkshopStatus | null>('workshop'); // null: not an attendee
}

export const workshop: JupyterFrontEndPlugin<void> = {
  id: 'echoes-vre-lab:workshop',
  description: 'A workshop attendee\'s "I need help" button and the trainer\'s messages',
  autoStart: true,
  optional: [ICommandPalette],
  activate: async (app: JupyterFrontEnd, palette: ICommandPalette | null) => {
    let last = await status().catch(() => null);
    if (!last) {
      return; // only attendees of an event see any of this
    }
    app.commands.addCommand(RAISE_HAND, {
      label: 'I need help',
      caption: 'Raise your hand: the trainer of your workshop sees it on their page',
      execute: async () => {
        try {
          await requestJSON<Hand>('workshop/hand', { method: 'POST', body: '{}' });
          Notification.info('Your hand is raised: the trainer has been told.', {
            autoClose: 5000
          });
          last = (await status()) ?? last;
        } catch (error) {
          Notification.error(`Could not raise your hand: ${(error as Error).message}`);
        }
      }
    });
    const button = new CommandToolbarButton({
      commands: app.commands,
      id: RAISE_HAND,
      label: 'I need help'
    });
    button.id = 'echoes-raise-hand';
    app.shell.add(button, 'top', { rank: 900 });
    palette?.addItem({ command: RAISE_HAND, category: 'ECHOES' });
    for (const text of notices(null, last)) {
      Notification.info(text);
    }
    window.setInterval(async () => {
      const now = await status().catch(() => last);
      if (!now) {
        return;
      }
      for (const text of notices(last, now)) {
        Notification.info(text, { autoClose: false });
      }
      last = now;
    }, EVERY_MS);
  }
};
