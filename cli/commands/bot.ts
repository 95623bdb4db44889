import { BotListenError, readBotSettings, startBot } from '../../bot/server.js';
import { codeOf, messageOf } from '../../engine/errors.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';

/** `api7-sync bot`: validates its environment, then runs the Probot app until SIGINT/SIGTERM. */
export async function botCommand(io: Io): Promise<number> {
  let bot;
  try {
    bot = await startBot(readBotSettings(io.env), (line) => io.stderr(line));
  } catch (err) {
    // A setting the bot cannot start with (bot/settings.ts, the operator policy): exit 64.
    if (codeOf(err) === 'config' || codeOf(err) === 'usage') {
      io.stderr(`api7-sync bot: ${messageOf(err)}`);
      return EXIT.usage;
    }
    if (err instanceof BotListenError) {
      io.stderr(
        `api7-sync bot: ${err.message}; stop the process that holds port ${err.port} (another bot still running?), or set PORT (and HOST) to a free one`,
      );
      return EXIT.unavailable;
    }
    throw err;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await bot.close();
  io.stderr('api7-sync bot: stopped');
  return 0;
}
