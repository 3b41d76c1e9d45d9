// PLACEHOLDER until the command is implemented.
import type { Command } from './main';

export const command: Command = {
  summary: '(not implemented yet)',
  run: () => Promise.resolve(2),
};
