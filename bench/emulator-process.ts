/** The emulator in its own process, so the load generator and the upstream do not share a loop. */
import { startEmulator } from "../test/emulator/server";

const port = Number(process.argv[2] ?? 8791);
startEmulator({ port }).then((emulator) => {
  process.stdout.write(`ready ${emulator.url}\n`);
});
