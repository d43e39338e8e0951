// Preloaded into a child process (`node --import`): prints its peak resident set size on exit, so a test can
// measure the memory of a real CLI run without /usr/bin/time.
process.on('exit', () => {
  process.stderr.write(`max-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
