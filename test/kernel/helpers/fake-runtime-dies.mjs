// A runtime that fails during start-up, as one with a broken install would.
process.stderr.write("fake runtime: cannot load something\n");
process.exit(7);
