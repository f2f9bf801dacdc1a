#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // main() reports users' mistakes itself; anything reaching here is a bug in ticketlab.
    console.error(error);
    process.exitCode = 70;
  },
);
